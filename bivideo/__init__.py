"""bivideo: recorded talk -> video with Chinese and English subtitles burned in."""

__version__ = "0.1.0"
