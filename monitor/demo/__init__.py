"""TODO demo."""

from monitor.demo.demo import run_demo

__all__ = ["run_demo"]
