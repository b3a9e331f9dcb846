"""The MVSEP web API (API.md) as typed Python: see client.MvsepClient.

    from mvsep_bridge.daemon.client import MvsepClient, SeparationInput
"""

from .algorithms import Algorithm, AlgorithmField, Condition, PriceRule
from .client import ALL_SCOPES, MvsepClient
from .models import (
    CreatedJob,
    HistoryEntry,
    RemoteSeparation,
    ResultFile,
    Separation,
    SeparationStatus,
    UserInfo,
)
from .upload import REMOTE_TYPES, SeparationInput

__all__ = [
    "ALL_SCOPES",
    "REMOTE_TYPES",
    "Algorithm",
    "AlgorithmField",
    "Condition",
    "CreatedJob",
    "HistoryEntry",
    "MvsepClient",
    "PriceRule",
    "RemoteSeparation",
    "ResultFile",
    "Separation",
    "SeparationInput",
    "SeparationStatus",
    "UserInfo",
]
