"""The rules engine behind one small interface; the only place durable-rules is imported."""

from nguon.rules.engine.thread import EngineThread, get_engine_thread

__all__ = ["EngineThread", "get_engine_thread"]
