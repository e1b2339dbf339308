"""Piccolo configuration (found through PICCOLO_CONF=nguon.piccolo_conf)."""

from __future__ import annotations

from piccolo.conf.apps import AppRegistry

from nguon.db.engine import make_engine
from nguon.settings import load_settings

DB = make_engine(load_settings().database_url)

APP_REGISTRY = AppRegistry(apps=["nguon.piccolo_app"])
