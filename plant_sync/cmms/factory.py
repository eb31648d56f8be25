"""Build the right :class:`CmmsClient` for a configuration."""

from __future__ import annotations

from typing import Any

from ..errors import ConfigurationError
from .client import CmmsClient
from .config import CmmsConfig, MaximoConfig, RestConfig, SoapConfig, config_from_dict


def make_client(config: CmmsConfig | dict[str, Any]) -> CmmsClient:
    """A client for a config dataclass, or for plain data ``{"kind": ..., ...}``."""
    if isinstance(config, dict):
        config = config_from_dict(config)
    if isinstance(config, MaximoConfig):
        from .maximo import MaximoClient

        return MaximoClient(config)
    if isinstance(config, SoapConfig):
        from .soap import SoapClient

        return SoapClient(config)
    if isinstance(config, RestConfig):
        from .rest import RestClient

        return RestClient(config)
    raise ConfigurationError(f"No CMMS client for {type(config).__name__}")
