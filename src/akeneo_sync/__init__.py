"""akeneo-sync: the back end of an Akeneo PIM app that mirrors catalogs downstream."""

__all__ = ["__version__"]

__version__ = "0.1.0"
