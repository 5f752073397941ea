"""Case commands: ``assess`` and ``schema``."""
