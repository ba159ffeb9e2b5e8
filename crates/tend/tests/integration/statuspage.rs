//! The status page of `tend exporter` (`/` and `/log/NAME`) on a tree run by
//! our svscan with a crash-looping service, a normal one and one named
//! `<script>`: fetched over HTTP (its text checked, names escaped, only the
//! tree's services served), then loaded in headless Chromium (the text as the
//! browser parsed it, and a screenshot).

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::exporter::{get, start_exporter};
use crate::svscan::{service, start_svscan_with};
use crate::util::{read_status, require, restarts, wait_child, wait_for, Sandbox};

/// Debian's chromium, headless and quiet: its profile, home, cache and
/// configuration in the sandbox (nothing left in root's home), no
/// background network (the page loads nothing but itself), then `args`.
fn chromium(sb: &Sandbox, args: &[&str]) -> Command {
    let home = sb.join("chromium");
    let mut c = sb.command(require("chromium", "chromium"));
    c.env("HOME", &home).env("XDG_CONFIG_HOME", home.join("config")).env("XDG_CACHE_HOME", home.join("cache"));
    c.args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions"])
        .args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .arg(format!("--user-data-dir={}", home.join("profile").display()))
        .args(args)
        .stdin(Stdio::null());
    c
}

/// The text of `html` without its tags (entities kept), for plain-text checks.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Width and height of a PNG file, from its IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let png = fs::read(path).expect("the screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.get(12..16) == Some(b"IHDR"), "not a PNG");
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

/// Python: the pixels of each colour named (`rrggbb`) in the 8-bit RGB or
/// RGBA PNG file named, printed as `rrggbb=N ...` (zlib and the PNG filters
/// by hand: no imaging library needed).
const COUNT_COLOURS: &str = r#"
import sys, zlib, struct
data = open(sys.argv[1], 'rb').read()
pos, idat = 8, b''
while pos < len(data):
    n, = struct.unpack('>I', data[pos:pos + 4])
    kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
    pos += 12 + n
    if kind == b'IHDR':
        w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
    elif kind == b'IDAT':
        idat += body
raw = zlib.decompress(idat)
bpp = {2: 3, 6: 4}[ctype]
stride = w * bpp
prev, counts, i = bytearray(stride), {}, 0
for y in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        k = bytes(line[x:x + 3]).hex()
        counts[k] = counts.get(k, 0) + 1
    prev = line
print(' '.join('%s=%d' % (c, counts.get(c, 0)) for c in sys.argv[2:]))
"#;

/// How many pixels of each colour `colours` (`rrggbb`) the PNG at `path` has.
fn colour_counts(path: &Path, colours: &[&str]) -> Vec<usize> {
    let out = Command::new(require("python3", "python3")).arg("-c").arg(COUNT_COLOURS).arg(path).args(colours).output();
    let out = out.expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    text.split_whitespace()
        .map(|w| w.split_once('=').and_then(|(_, n)| n.parse().ok()).expect("colour=count"))
        .collect()
}

#[test]
fn the_status_page_shows_a_crash_loop_and_names_as_text_in_chromium() {
    let chromium_path = require("chromium", "chromium");
    let mut sb = Sandbox::new();
    service(&sb, "web", "echo hello from web\nexec sleep 1000");
    sb.script("scan/web/log/run", "#!/bin/sh\nexec multilog t ./main\n");
    service(&sb, "crashy", "echo crashing\nexit 3");
    sb.script("scan/crashy/log/run", "#!/bin/sh\nexec multilog t ./main\n");
    service(&sb, "<script>", "exec sleep 1000");
    start_svscan_with(&mut sb, "stderr", &[]);
    let web_log = sb.join("scan/web/log/main/current");
    wait_for("web's line logged", || fs::read_to_string(&web_log).is_ok_and(|t| t.ends_with("hello from web\n")));
    wait_for("crashy restarted twice", || read_status(&sb.join("scan/crashy")).is_some_and(|s| restarts(&s) >= 2));

    let (_, addr) = start_exporter(&mut sb, &["scan"]);

    // The index, once the exporter answers and crashy is seen in its loop.
    let mut page = String::new();
    wait_for("the page to show crashy's crash loop, the others up", || {
        page = get(&addr, "/").2;
        page.contains("<span class=\"st st-crash-loop\">crash-loop</span>")
            && page.contains("<p>5 services: 1 crash-loop, 4 up.</p>")
    });
    let (status, headers, _) = get(&addr, "/");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(headers.contains("Content-Type: text/html; charset=utf-8"), "{headers}");
    let text = text_of(&page);
    assert!(page.contains("<meta http-equiv=\"refresh\" content=\"10\">"), "{page}");
    assert!(page.contains("<a href=\"log/web\">web</a></td><td><span class=\"st st-up\">up</span>"), "{page}");
    assert!(page.contains("<a href=\"log/%3Cscript%3E\">&lt;script&gt;</a>"), "{page}");
    assert!(!page.contains("<script"), "{page}");
    assert!(text.contains("Read-only"), "{text}");
    assert!(text.contains("Clock "), "{text}");

    // A service's log page: its lines with local times.
    let (status, _, log) = get(&addr, "/log/web");
    assert_eq!(status, "HTTP/1.1 200 OK", "{log}");
    let line = text_of(&log).lines().find(|l| l.ends_with(" hello from web")).map(String::from);
    let line = line.unwrap_or_else(|| panic!("no line of web's in\n{log}"));
    assert!(line.as_bytes().get(4) == Some(&b'-') && line.as_bytes().get(19) == Some(&b'.'), "{line}");
    let (status, _, script) = get(&addr, "/log/%3Cscript%3E");
    assert_eq!(status, "HTTP/1.1 200 OK", "{script}");
    assert!(script.contains("&lt;script&gt; has no log directory") && !script.contains("<script"), "{script}");
    // Only the tree's services, by name: nothing else is a log page.
    for path in [
        "/log/",
        "/log/..",
        "/log/%2E%2E",
        "/log/../scan/web",
        "/log/..%2Fscan%2Fweb",
        "/log/web%2Flog",
        "/log/web/log",
        "/log/%2Fetc%2Fpasswd",
        "/log/web%00",
        "/log/nope",
        "/log/we%",
    ] {
        let (status, _, body) = get(&addr, path);
        assert_eq!(status, "HTTP/1.1 404 Not Found", "{path}: {body}");
        assert!(!body.contains("hello from web"), "{path}: {body}");
    }

    // Chromium: the page as it parsed it holds the names as text, no script.
    let url = format!("http://{addr}/");
    let mut dump = chromium(&sb, &["--dump-dom", &url]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut dom = String::new();
    std::io::Read::read_to_string(dump.stdout.as_mut().unwrap(), &mut dom).expect("chromium's DOM");
    assert!(wait_child(&mut dump).success(), "{} --dump-dom failed", chromium_path.display());
    assert!(dom.contains(">&lt;script&gt;</a>"), "{dom}");
    assert!(!dom.contains("<script"), "{dom}");
    let shown = text_of(&dom);
    for word in ["crashy", "crash-loop", "web", "up", "<script>", "Read-only"] {
        assert!(shown.replace("&lt;", "<").replace("&gt;", ">").contains(word), "{word} not in\n{shown}");
    }

    // Its screenshot, 1024x768 (kept as doc/statuspage.png when
    // TEND_STATUSPAGE_PNG names where to copy it).
    let png = sb.join("statuspage.png");
    let mut shot = chromium(&sb, &[&format!("--screenshot={}", png.display()), "--window-size=1024,768", &url]);
    let mut shot = shot.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    assert!(wait_child(&mut shot).success(), "chromium --screenshot failed");
    assert_eq!(png_size(&png), (1024, 768));
    // The states' colours as drawn: crash-loop's red badge, the ups' green
    // ones (each badge some 2000 pixels; a clock line's border at most 300).
    let [red, green] = colour_counts(&png, &["c62828", "2e7d32"])[..] else { panic!("two counts") };
    assert!(red >= 1000 && green >= 1000, "red {red}, green {green} pixels");
    if let Some(keep) = std::env::var_os("TEND_STATUSPAGE_PNG") {
        fs::copy(&png, keep).expect("copy the screenshot");
    }
}
