"""Folder grants for players that cannot send cookies: the folder's signed query, HLS playlists
and DASH manifests rewritten so that every URI under the granted folder carries it, and the app's
route that serves them rewritten through capability links (:mod:`cfcookies.streaming.serve`,
reading from :mod:`cfcookies.streaming.sources`; the framework glue is
:mod:`cfcookies.streaming.routes`). Nothing here imports a web framework or botocore."""

from .dash import MAX_MPD_BYTES, rewrite_mpd
from .hls import MAX_PLAYLIST_LENGTH, rewrite_playlist
from .serve import PlaylistAnswer, PlaylistServer
from .sources import (
    MAX_SOURCE_BYTES,
    DistributionPlaylistSource,
    PlaylistSource,
    S3PlaylistSource,
)

__all__ = [
    "MAX_MPD_BYTES",
    "MAX_PLAYLIST_LENGTH",
    "MAX_SOURCE_BYTES",
    "DistributionPlaylistSource",
    "PlaylistAnswer",
    "PlaylistServer",
    "PlaylistSource",
    "S3PlaylistSource",
    "rewrite_mpd",
    "rewrite_playlist",
]
