"""Energy management: pure decision functions shared by the simulator and the live service."""
