"""The person's browser in the SSO tests (issue 24), driven with plain HTTP requests.

sso_browser.py START_URL CA_BUNDLE LOGIN STOP_PREFIX: follows redirects from START_URL (cookies
kept per host, like a browser), signs in on the upstream provider's development login page as
LOGIN, accepts its consent page, and prints the first Location that starts with STOP_PREFIX
(the client's redirect URI carrying code and state). If a page other than the provider's forms
answers instead, prints "PAGE <status>" and the page's first 300 characters.
With a fifth argument "--set-cookie", also prints each Set-Cookie header of the response that
carried that Location, one per line, as "SET-COOKIE <header>" (the web page's session).
"""
import re
import sys
from urllib.parse import urljoin

import requests

start, ca, login, stop = sys.argv[1:5]
show_cookies = sys.argv[5:6] == ["--set-cookie"]
s = requests.Session()
s.trust_env = False  # a CA bundle from the environment must not replace ours
url, method, data = start, "GET", None
for _ in range(30):
    r = s.request(method, url, data=data, allow_redirects=False, timeout=20, verify=ca)
    if r.status_code in (301, 302, 303, 307, 308):
        nxt = urljoin(url, r.headers["Location"])
        if nxt.startswith(stop):
            print(nxt)
            if show_cookies:
                for header in r.raw.headers.getlist("Set-Cookie"):
                    print("SET-COOKIE " + header)
            sys.exit(0)
        url, method, data = nxt, "GET", None
        continue
    form = re.search(r'<form[^>]*action="([^"]+)"[^>]*method="post"', r.text)
    prompt = re.search(r'name="prompt" value="([a-z]+)"', r.text)
    if r.status_code == 200 and form and prompt:
        url, method = urljoin(url, form.group(1)), "POST"
        data = {"prompt": prompt.group(1)}
        if prompt.group(1) == "login":
            data.update({"login": login, "password": "any"})
        continue
    print(f"PAGE {r.status_code} {r.text[:300]}")
    sys.exit(0)
print("PAGE too many redirects")
