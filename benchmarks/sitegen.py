"""Generate a synthetic site of N pages shaped like a real blog, for the benchmarks.

Every page has a header with a logo and a menu, a breadcrumb, an article of ~250 words with links to other
posts, a sidebar of recent posts and categories, a footer, three external links (one in three an affiliate
link, one in fifty broken) pointing at a second loopback host, and now and then a broken internal link.
Links are chosen from the page number with fixed arithmetic, so the same N gives the same site.
"""

from __future__ import annotations

import argparse
from pathlib import Path

CATEGORIES = 12
EXTERNALS = 400
WORDS = ["garden", "soil", "water", "seed", "tomato", "compost", "spring", "summer", "harvest", "pepper", "basil", "mulch", "shade", "light", "root", "leaf", "stem", "flower", "fruit", "bed", "row", "pot"]


def page_html(i: int, n: int, outside: str) -> str:
    posts = [(i * 7 + 3) % n, (i * 13 + 1) % n, (i + 1) % n, (i * 31 + 17) % n, (i // 2) % n, (i * 3 + 2) % n]
    recent = [(i + k * 97) % n for k in range(1, 9)]
    words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(250)]
    paragraphs = []
    for p in range(5):
        chunk = words[p * 50:(p + 1) * 50]
        post = posts[p]
        chunk[10] = f'<a href="/posts/{post}.html">{chunk[10]} {chunk[11]}</a>'
        paragraphs.append("<p>" + " ".join(chunk) + "</p>")
    ext = [(i * 11 + k * 37) % EXTERNALS for k in range(3)]
    external = []
    for e in ext:
        if e % 50 == 0:
            external.append(f'<a href="{outside}gone/{e}">a retired partner</a>')
        elif e % 3 == 0:
            external.append(f'<a href="{outside}shop/{e}?aff_id=bench" rel="sponsored">the shop</a>')
        else:
            external.append(f'<a href="{outside}ref/{e}.html" rel="noopener">a reference</a>')
    broken = f'<a href="/posts/missing-{i}.html">an old post</a>' if i % 100 == 7 else ""
    menu = "".join(f'<li><a href="/category/{c}.html">Category {c}</a></li>' for c in range(6))
    cats = "".join(f'<li><a href="/category/{c}.html">Category {c}</a></li>' for c in range(CATEGORIES))
    side = "".join(f'<li><a href="/posts/{r}.html">Recent post {r}</a></li>' for r in recent)
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Post {i} – Bench garden</title>
<link rel="canonical" href="/posts/{i}.html"></head>
<body class="post-template-default single has-sidebar"><div id="page" class="site">
<header id="masthead" class="site-header"><div class="site-branding"><a href="/"><img src="/logo.png" alt="Bench garden"></a></div>
<nav id="site-navigation" class="main-navigation"><ul class="menu">{menu}</ul></nav></header>
<div id="content" class="site-content"><main id="main" class="site-main">
<nav class="breadcrumbs" aria-label="Breadcrumb"><a href="/">Home</a> › <a href="/category/{i % CATEGORIES}.html">Category</a></nav>
<article class="post hentry"><header class="entry-header"><h1>Post {i}</h1></header>
<div class="entry-content">{"".join(paragraphs)}<p>Further reading: {" · ".join(external)} {broken}</p></div>
<footer class="entry-footer"><a href="/category/{i % CATEGORIES}.html">Filed under category {i % CATEGORIES}</a></footer>
</article></main>
<aside id="secondary" class="widget-area"><section class="widget"><h2>Recent</h2><ul>{side}</ul></section>
<section class="widget"><h2>Categories</h2><ul>{cats}</ul></section></aside></div>
<footer id="colophon" class="site-footer"><nav><a href="/about.html">About</a> · <a href="/privacy.html">Privacy</a>
· <a href="mailto:hello@example.com">Contact</a></nav></footer></div></body></html>"""


def category_html(c: int, n: int) -> str:
    links = "".join(f'<li><a href="/posts/{p}.html">Post {p}</a></li>' for p in range(c, n, max(1, n // 40))[:40])
    return (f"<html><head><title>Category {c}</title></head><body><header><a href='/'>Home</a></header>"
            f"<main><h1>Category {c}</h1><ul>{links}</ul></main></body></html>")


def generate(folder: Path, n: int, outside: str) -> int:
    """Write the site (``n`` posts plus home, categories, about, privacy) and the outside world's files."""
    site, world = folder / "site", folder / "world"
    (site / "posts").mkdir(parents=True, exist_ok=True)
    (site / "category").mkdir(exist_ok=True)
    for i in range(n):
        (site / "posts" / f"{i}.html").write_text(page_html(i, n, outside))
    for c in range(CATEGORIES):
        (site / "category" / f"{c}.html").write_text(category_html(c, n))
    home = "".join(f'<a href="/posts/{p}.html">Post {p}</a> ' for p in range(0, n, max(1, n // 50)))
    (site / "index.html").write_text(f"<html><head><title>Bench garden</title></head><body><main>{home}"
                                     f"<a href='/category/0.html'>Categories</a></main></body></html>")
    for name in ("about", "privacy"):
        (site / f"{name}.html").write_text(f"<html><head><title>{name}</title></head><body><a href='/'>home</a></body></html>")
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /wp-admin/\n")
    (world / "ref").mkdir(parents=True, exist_ok=True)
    (world / "shop").mkdir(exist_ok=True)
    for e in range(EXTERNALS):
        (world / "ref" / f"{e}.html").write_text("<html><title>ref</title></html>")
        (world / "shop" / str(e)).write_text("<html><title>shop</title></html>")
    return n + CATEGORIES + 3


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--pages", type=int, default=3000)
    parser.add_argument("--outside", default="http://127.0.0.2:8081/")
    args = parser.parse_args()
    print(generate(args.folder, args.pages, args.outside))
