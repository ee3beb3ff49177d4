"""Stage implementations; every module here registers its stages on import."""
