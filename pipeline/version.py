"""The pipeline version stored with every document: a new version re-processes."""

from importlib.metadata import PackageNotFoundError, version

try:
    PIPELINE_VERSION = version("reportdb")
except PackageNotFoundError:  # running from a source tree that is not installed
    PIPELINE_VERSION = "0+unknown"
