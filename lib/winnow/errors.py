"""User-facing errors: one line, naming the key or path at fault, non-zero exit."""


class WinnowError(Exception):
    """An error the user can fix (config, input paths); printed as one line."""


class ConfigError(WinnowError):
    """The YAML config is invalid; the message names the offending key."""


class InvariantError(WinnowError):
    """A checked invariant (e.g. document conservation) does not hold."""


class InfrastructureError(WinnowError):
    """Spark, the cluster or the file system failed (not the config): one line, exit 2."""
