"""Loaders: article parsing, extraction and graph writing, built on kg's core."""
