"""The public pages and the widget's files as the web app serves them (Flask test client).

The browser behaviour is in tests/browser/test_widget_browser.py; this checks what can be checked
without a browser: pages CSP-clean, only the widget's assets served, the kiosk's content and
timeouts, and the kiosk's QR codes only for links we signpost.
"""

from __future__ import annotations

import re

import pytest
import yaml

from intake import pages
from scripts.build_widget_tokens import PACKAGE_CSS, tokens_css
from scripts.layout import ROOT

WIDGET_JS = (ROOT / "web_widget" / "widget.js").read_text()
SIGNPOSTED = yaml.safe_load((ROOT / "content" / "signposting.yml").read_text())["resources"]
PAGES = ("/", "/msk-advice", "/kiosk", "/privacy")


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_csp_clean_no_inline_script_or_style(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "style=" not in html and "<style" not in html
    for script in re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S):
        assert script.strip() == "", "inline script"
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", html), "inline event handler"
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/", "/msk-advice"])
def test_the_demo_pages_embed_the_widget_with_one_script_tag(client, path):
    html = client.get(path).get_data(as_text=True)
    assert html.count("<script") == 1
    assert '<script src="/widget/widget.js" data-gateway="/api/v1/chat"' in html
    assert 'data-mode="web"' in html


def test_only_the_widget_s_own_assets_are_served(client):
    for name in ("widget.js", "widget.css", "kiosk.css", "demo.css"):
        response = client.get(f"/widget/{name}")
        assert response.status_code == 200, name
    assert client.get("/widget/widget.js").mimetype in ("text/javascript", "application/javascript")
    for name in ("README.md", "index.html", "templates/widget/kiosk.html", "../README.md", ".x.js"):
        assert client.get(f"/widget/{name}").status_code == 404, name


def test_the_widget_only_ever_writes_text_never_markup():
    for unsafe in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert unsafe not in WIDGET_JS
    assert "new Function" not in WIDGET_JS and 'setAttribute("style"' not in WIDGET_JS
    assert "textContent" in WIDGET_JS
    assert 'rel: "noopener noreferrer"' in WIDGET_JS and 'target: "_blank"' in WIDGET_JS
    assert 'url.protocol !== "https:"' in WIDGET_JS


def test_the_kiosk_start_screen_says_it_is_not_for_emergencies_and_where_to_get_help(client):
    content = pages.kiosk_content()
    html = client.get("/kiosk").get_data(as_text=True)
    assert content["not_for_emergencies"]["heading"] in html
    assert "999" in html and "111" in html and "reception desk" in html
    assert 'data-mode="kiosk"' in html and 'data-start-screen="kiosk-start"' in html
    assert client.get("/kiosk").headers["Cache-Control"] == "no-store"
    assert "<a " not in html  # no way out to other sites


def test_the_kiosk_banner_wording_comes_from_content_and_agrees_with_the_chat(client):
    import html
    import json
    import re

    from bot.red_flag_catalogue import load

    page = client.get("/kiosk").get_data(as_text=True)
    given = json.loads(html.unescape(re.search(r"data-banner='([^']*)'", page).group(1)))
    assert given == pages.kiosk_content()["escalation_banner"]
    chat = load().levels
    for level in ("emergency", "urgent"):  # in the emergency department: tell the staff here
        banner = f"{given[level]['title']} {given[level]['text']}"
        assert "staff" in banner and "staff" in chat[level]["kiosk_heading"]
        assert "999" not in banner + chat[level]["kiosk_heading"]


def attribute(page: str, name: str):
    """A JSON data attribute of the widget's script tag, as the browser reads it."""
    import html
    import json

    return json.loads(html.unescape(re.search(rf"{name}='([^']*)'", page).group(1)))


@pytest.mark.parametrize("path", ["/", "/msk-advice"])
def test_the_web_banner_and_end_wording_come_from_content_and_agree_with_the_chat(client, path):
    """content/web_chat.yml, given to the widget as the kiosk's wording is (data attributes):
    a clinician rewords it there. The banner says what the chat's advice says for each level
    (content/red_flags.yml `levels`), and the widget itself holds none of these words."""
    from bot.red_flag_catalogue import load

    page = client.get(path).get_data(as_text=True)
    content = pages.web_content()
    banner = attribute(page, "data-banner")
    assert banner == content["escalation_banner"]
    assert attribute(page, "data-end-of-chat") == content["end_of_chat"]
    assert 'data-launcher-slot="chat-start"' in page and 'id="chat-start"' in page
    chat = load().levels
    # What each level tells the patient to do, in the banner and in the chat's own advice.
    must_say = {
        "emergency": ["999", "A&E"],
        "urgent": ["GP practice", "today", "111"],
        "soon": ["GP practice", "next few days"],
    }
    for level, words in must_say.items():
        said = f"{banner[level]['title']} {banner[level]['text']}"
        for word in words:
            assert word in said and word in chat[level]["heading"], (level, word)
    assert "999" not in f"{banner['soon']['text']} {banner['urgent']['text']}"
    for line in [*content["end_of_chat"], *(b[k] for b in banner.values() for k in b)]:
        assert line.replace("{minutes}", "") not in WIDGET_JS, line
    assert "{minutes}" in content["end_of_chat"][0]


def test_the_kiosk_end_wording_comes_from_content(client):
    page = client.get("/kiosk").get_data(as_text=True)
    assert attribute(page, "data-end-of-chat") == pages.kiosk_content()["end_of_chat"]
    for line in pages.kiosk_content()["end_of_chat"]:
        assert line not in WIDGET_JS


@pytest.mark.parametrize(
    ("query", "warning", "reset"),
    [
        ("", 90, 30),
        ("?idle_warning_seconds=5&idle_reset_seconds=7", 5, 7),
        ("?idle_warning_seconds=1&idle_reset_seconds=99999", 2, 3600),
        ("?idle_warning_seconds=-3&idle_reset_seconds=soon", 90, 30),
        ("?idle_warning_seconds=0005&idle_reset_seconds=%007", 5, 30),
    ],
)
def test_kiosk_timeouts_come_from_content_and_the_query_within_bounds(
    client, query, warning, reset
):
    html = client.get(f"/kiosk{query}").get_data(as_text=True)
    assert f'data-idle-warning-seconds="{warning}"' in html
    assert f'data-idle-reset-seconds="{reset}"' in html


@pytest.mark.parametrize(
    "given",
    ["\u00b2", "\uff15", "\u0661\u0662", "\u2460", "+5", "5_0", " 5", "9" * 5000, str(10**30)],
    ids=["superscript-2", "fullwidth-5", "arabic-indic-12", "circled-1", "plus", "underscore",
         "space", "5000-digits", "10**30"],
)  # fmt: skip
def test_kiosk_timeouts_that_are_not_plain_ascii_numbers_fall_back_to_the_default(client, given):
    """A superscript two passed str.isdigit(), then int() refused it: an HTTP 500 once."""
    response = client.get(
        "/kiosk", query_string={"idle_warning_seconds": given, "idle_reset_seconds": given}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-idle-warning-seconds="90"' in html
    assert 'data-idle-reset-seconds="30"' in html


def test_a_qr_code_is_served_for_a_signposted_link(client):
    response = client.get("/kiosk/qr", query_string={"url": SIGNPOSTED[0]["url"]})
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert svg.startswith("<svg") and "<script" not in svg


@pytest.mark.parametrize(
    "url",
    [
        "https://phishing.example/nhs-login",  # https, but not a page we signpost
        "http://www.nhs.uk/conditions/back-pain/",
        "javascript:alert(1)",
        "https://user:pass@www.nhs.uk/",
        "https://www.nhs.uk/" + "x" * 600,
        "",
    ],
)
def test_no_qr_code_for_links_we_do_not_signpost(client, url):
    assert client.get("/kiosk/qr", query_string={"url": url}).status_code == 404


def test_the_kiosk_gets_a_qr_code_for_this_sites_privacy_notice_and_no_other_own_page(client):
    ok = client.get("/kiosk/qr", query_string={"url": "http://localhost/privacy"})
    assert ok.status_code == 200 and ok.mimetype == "image/svg+xml"
    for other in ("http://localhost/staff/queue", "http://elsewhere.example/privacy"):
        assert client.get("/kiosk/qr", query_string={"url": other}).status_code == 404


def test_without_a_signposting_catalogue_any_plain_https_link_gets_a_qr_code(
    client, monkeypatch, tmp_path
):
    monkeypatch.setattr(pages, "SIGNPOSTING_CONTENT", tmp_path / "missing.yml")
    assert pages.qr_url_allowed("https://www.example.org/a-page")
    assert not pages.qr_url_allowed("http://www.example.org/a-page")
    assert not pages.qr_url_allowed("https://www.example.org/a page")
    ok = client.get("/kiosk/qr", query_string={"url": "https://www.example.org/a-page"})
    assert ok.status_code == 200


def test_the_widget_takes_its_colours_from_nhsuk_frontend_built_at_set_up(client):
    """The set-up copies nhsuk-frontend's :root tokens onto the widget's :host."""
    built = tokens_css(PACKAGE_CSS.read_text())
    assert built.splitlines()[1] == ":host {"
    assert "--nhsuk-brand-colour:#005eb8" in built and "--nhsuk-focus-colour:#ffeb3b" in built
    served = client.get("/widget/nhsuk-tokens.css")
    assert served.status_code == 200 and served.get_data(as_text=True) == built
    assert "var(--nhsuk-brand-colour, #005eb8)" in (ROOT / "web_widget" / "widget.css").read_text()


def test_tokens_outside_root_or_without_the_nhsuk_prefix_are_left_out():
    css = ":root{--nhsuk-a:1;--other:2}.x:root{--nhsuk-b:3}@media print{.y{color:red}}"
    assert tokens_css(css).count("--") == 1 and "--nhsuk-a:1" in tokens_css(css)
    with pytest.raises(ValueError):
        tokens_css(".nhsuk-button{color:red}")


def test_the_privacy_page_has_a_way_back_whole_paragraphs_and_no_notes_for_the_service(client):
    """Once it had no header or way back, showed the internal go-live note, and broke each
    sentence into its own paragraph."""
    page = client.get("/privacy").text
    assert '<a href="/">Back to the start</a>' in page
    assert "go-live" not in page and "<!--" not in page
    assert re.search(r"<p>Your answers in this chat:[^<]*contact you\.</p>", page)
