"""Folder grants for players that cannot send cookies: the folder's signed query, and HLS
playlists and DASH manifests rewritten so that every URI under the granted folder carries it."""

from .dash import MAX_MPD_BYTES, rewrite_mpd
from .hls import MAX_PLAYLIST_LENGTH, rewrite_playlist

__all__ = ["MAX_MPD_BYTES", "MAX_PLAYLIST_LENGTH", "rewrite_mpd", "rewrite_playlist"]
