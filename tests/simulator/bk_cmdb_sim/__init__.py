# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stateful BlueKing CMDB simulator behind an ESB front, for tests and demos (see README.md)."""

from __future__ import annotations

from .server import Simulator

__all__ = ["Simulator"]
