"""setuptools' build, extended through its documented `cmdclass` hook: the wheel carries
the contract it serves at /specs/{document} (specs/*.yaml, as service/contract/), so an
installed service runs outside this repository. pyproject.toml holds everything else."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SERVED = ("openapi.yaml", "asyncapi.yaml", "schemas.yaml")


class BuildWithContract(build_py):  # type: ignore[misc]
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "service" / "contract"
        target.mkdir(parents=True, exist_ok=True)
        for name in SERVED:
            shutil.copyfile(Path(__file__).parent / "specs" / name, target / name)


setup(cmdclass={"build_py": BuildWithContract})
