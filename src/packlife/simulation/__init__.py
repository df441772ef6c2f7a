"""Pack-system simulation: compiled fixed-step engine over packs and a batch axis of systems."""
