"""The deterministic demo city (武昌区), its people and sample orders."""
