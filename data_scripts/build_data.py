"""Build (or verify) every cached data set of the course; print what is there.

Usage: python data_scripts/build_data.py [--rebuild | --cards]
The cache folder is $COURSE_CACHE_DIR or the user's cache directory.
"""
import argparse
import time

from course_lib import cache, data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rebuild", action="store_true", help="ignore the cache and build everything again")
    parser.add_argument("--cards", action="store_true", help="only write docs/data_cards.md from the registry")
    args = parser.parse_args()
    if args.cards:
        from pathlib import Path

        out = Path(__file__).resolve().parents[1] / "docs" / "data_cards.md"
        out.write_text(data.cards_markdown())
        print(f"wrote {out}")
        return
    from course_lib import real_data

    print(f"cache: {cache.cache_dir()}")
    online = {spec[0] for spec in real_data.SPECS}  # downloaded only when a learner asks for them
    for name in data.list_datasets():
        if name in online:
            print(f"  {name:<18} (real data, downloaded on first use: skipped)")
            continue
        t0 = time.perf_counter()
        kwargs = {"rebuild": args.rebuild} if "rebuild" in data.options(name) else {}
        bunch = data.load(name, **kwargs)
        n = len(bunch["y"]) if "y" in bunch else len(next(iter(bunch.values())))
        print(f"  {name:<18} {n:>5} samples  {time.perf_counter() - t0:6.1f} s")


if __name__ == "__main__":
    main()
