"""The bundled Akeneo PIM emulator: documented endpoints, seeded products, fault injection."""
