"""Energy management: pure decision functions shared by the simulator and (later) the live service."""
