"""The bundled demo site, served by the project itself on loopback."""
