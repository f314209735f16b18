"""The hooks a delivery plugin implements (pluggy, project name ``animato``).

A plugin is a module or object with ``@hookimpl`` functions, registered by an entry point in the
``animato`` group (``[project.entry-points.animato] myprovider = "mypkg.animato_plugin"``). The
built-in channels are registered through the same hook (see :mod:`animato.delivery.plugins`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from animato.delivery.channel import Adapter
    from animato.settings import Settings

hookspec = pluggy.HookspecMarker("animato")
hookimpl = pluggy.HookimplMarker("animato")


@hookspec
def animato_channel_adapters(settings: Settings, files_dir: str) -> list[Adapter]:  # type: ignore[empty-body]
    """Channel adapters this plugin provides, configured from ``settings`` (empty if none)."""
