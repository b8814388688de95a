"""``wirewatch demo``: a simulated newsroom on 127.0.0.1 (outlets syndicating invented
events under different headlines) with the real daemon running against it."""

from monitor.demo.demo import run_demo

__all__ = ["run_demo"]
