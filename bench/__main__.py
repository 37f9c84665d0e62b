"""`python -m bench [name ...]`: run the benchmarks (all when no name is given)."""

import importlib
import pkgutil
import sys
from pathlib import Path


def main(names: list[str]) -> int:
    here = Path(__file__).parent
    available = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))
    chosen = names or available
    for name in chosen:
        if name not in available:
            print(f"no benchmark named {name!r}; have: {', '.join(available)}")
            return 2
        print(f"\n## {name}")
        importlib.import_module(f"bench.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
