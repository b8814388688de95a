"""Article pages written for the extraction tests: a body among the usual furniture of a
news site (navigation, cookie banner, related links, readers' comments, footer)."""

from __future__ import annotations

from collections.abc import Sequence

ENGLISH = (
    "The harbour authority closed the northern pier on Tuesday after inspectors found"
    " cracks in three of its concrete pillars, the port's director told reporters.",
    "Ferries that normally dock there will use the southern terminal until repairs are"
    " finished, which engineers expect to take at least six weeks of work.",
    "Fishermen said the closure would cost them an hour each morning, and the union asked"
    " the city council for a temporary landing place near the old market.",
    "The council will discuss the request on Friday; the mayor said she favoured it but"
    " wanted the coast guard to confirm that the landing place is safe.",
)
# A page naming the minister (and the concrete) that the feed's standfirst leaves out: the
# full-text and late-page tests' article.
RESERVOIR = (
    "Work on the eastern reservoir stopped on Monday when the contractor's cranes were"
    " moved to the motorway bridge, leaving the concrete of the new dam half poured.",
    "Water minister Ilona Marsh visited the site on Wednesday and promised that the"
    " cranes would be back before the autumn rains fill the valley again.",
    "Farmers downstream have asked for compensation, saying the unfinished wall already"
    " diverts the river away from their irrigation channels in the dry months.",
    "The contractor declined to comment, but its last annual report lists the reservoir"
    " among the projects it expects to complete within the coming financial year.",
)
ARABIC = (
    "أعلنت بلدية المدينة يوم الثلاثاء إغلاق الجسر القديم أمام السيارات بعد أن وجد المهندسون"
    " تشققات في أعمدته الحجرية.",
    "وقال رئيس البلدية إن أعمال الترميم ستستمر شهرين على الأقل، وإن الحافلات ستسلك الطريق"
    " الساحلي خلال تلك الفترة.",
    "واشتكى أصحاب المتاجر القريبة من تراجع عدد الزبائن، وطالبوا بتخفيض الضرائب المحلية حتى"
    " يعاد فتح الجسر.",
)
PERSIAN = (
    "شورای شهر روز سه‌شنبه تصمیم گرفت کتابخانه مرکزی را برای بازسازی سقف آن به مدت سه ماه"
    " تعطیل کند.",
    "مدیر کتابخانه گفت که کتاب‌های امانتی را می‌توان در این مدت به شعبه‌های محله‌ای بازگرداند"
    " و جریمه‌ای گرفته نمی‌شود.",
    "دانشجویان از این تصمیم ناراضی‌اند زیرا سالن مطالعه کتابخانه تنها جای آرام نزدیک دانشگاه است.",
)
RUSSIAN = (
    "Городская администрация во вторник закрыла старый мост для машин после того, как"
    " инженеры нашли трещины в его опорах.",
    "По словам мэра, ремонт продлится не меньше двух месяцев, а автобусы пойдут по"
    " набережной в объезд.",
    "Владельцы соседних магазинов жалуются на меньшее число покупателей и просят снизить"
    " местные налоги до открытия моста.",
)
TURKISH = (
    "Belediye salı günü eski köprüyü, mühendislerin taş ayaklarında çatlaklar bulmasının"
    " ardından araç trafiğine kapattı.",
    "Belediye başkanı onarımın en az iki ay süreceğini ve otobüslerin bu sürede sahil"
    " yolunu kullanacağını söyledi.",
    "Çevredeki esnaf müşteri sayısının düştüğünden şikâyet ediyor ve köprü açılana kadar"
    " yerel vergilerin indirilmesini istiyor.",
)
FURNITURE = (
    "Accept all cookies",  # cookie banner
    "Home World Business Sport",  # navigation
    "Related: Ten things to know about bridges",  # related links
    "Great article, thanks for writing it!",  # a reader's comment
    "Copyright Example Media",  # footer
)


def article_page(
    paragraphs: Sequence[str],
    *,
    title: str = "Pier closed after cracks found",
    head: str = "",
    lang: str | None = "en",
    article_class: str = "story-body",
    body_html: str | None = None,
    wrapper: str = "article",
) -> str:
    """A whole page: head, navigation, cookie banner, the article, related links, comments.
    ``body_html`` replaces the body's container; ``wrapper`` is the article's element."""
    body = "\n".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    body_html = body_html or f'<div class="{article_class}">{body}</div>'
    lang_attribute = f' lang="{lang}"' if lang else ""
    return f"""<!DOCTYPE html>
<html{lang_attribute}><head><meta charset="utf-8"><title>{title} | Example News</title>
{head}</head><body>
<div id="cookie-banner" class="cookie-consent"><p>We use cookies.</p>
<button>{FURNITURE[0]}</button></div>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/business">Business</a></li><li><a href="/sport">Sport</a></li></ul></nav></header>
<main><{wrapper}><h1>{title}</h1><div class="byline">By Sam Writer</div>
{body_html}
<figure><img src="/pier.jpg">
<figcaption>The northern pier, photographed last year.</figcaption></figure>
</{wrapper}>
<aside class="related"><h2>Related</h2><ul><li><a href="/b">{FURNITURE[2]}</a></li>
<li><a href="/c">Bridges of the coast</a></li></ul></aside>
<section id="comments" class="comments"><h2>Comments</h2>
<div class="comment"><p>{FURNITURE[3]}</p></div></section></main>
<footer><p>{FURNITURE[4]}</p></footer></body></html>"""
