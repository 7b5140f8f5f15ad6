"""Offline, deterministic extraction: gazetteer and patterns over sentences, no model."""

from loaders.rules.extractor import RulesExtractor

__all__ = ["RulesExtractor"]
