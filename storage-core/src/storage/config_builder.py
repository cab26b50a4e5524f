"""The seed-compatible entry point to YAML configuration."""

from __future__ import annotations

import os
from typing import Any, Optional, Union

from storage.config import load_store
from storage.errors import ConfigError

__all__ = ["ConfigError", "StoreFactory"]


class StoreFactory:
    """Builds stores from a YAML configuration file, as the seed's ``StoreFactory`` did."""

    def __init__(self, config_path: Union[str, os.PathLike[str]]) -> None:
        self.config_path = config_path

    def build(self, name: Optional[str] = None) -> Any:
        """Build the store ``name`` (default: the file's ``main``) with everything below it."""
        return load_store(self.config_path, name)
