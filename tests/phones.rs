//! The phone-facing views end to end: Snom pop-up, directory and tbook, Snom DECT, Yealink and Grandstream
//! phone books, requested the way the phones request them, checked against golden files
//! (`tests/golden/<vendor>/`, rewritten with `UPDATE_GOLDEN=1`) and with a small XML checker that insists
//! on well-formedness, the right root, element order and escaping.

mod common;

use common::*;

/// Names with umlauts, accents, Cyrillic, `&`, `<`, quotes and a markup payload; numbers of every kind,
/// a contact with four mobiles (more than a DECT entry holds) and one number that never parsed.
const CONTACTS: &str = r#"first_name,last_name,company,email,notes,office,mobile,home,fax,other
Anna,Müller,Bäckerei & Söhne,,,030 1234567,0151 12345678,,,
Jürgen,Öztürk,,,,,,030 5550123,,
José,García-Núñez,"Café ""Olé"" <Lisboa>",,,+34 912 345 678,,,,
Иван,Петров,ООО «Ромашка»,,,+7 495 123-45-67,,,,
<script>alert('x')</script>,"O'Brien & ""Sons""",<b>ACME</b>,,,089 7654321,,,,
,,Zentrale Muster GmbH,,,089 1234560,,,,
Many,Mobiles,,,,,0170 1234561|0170 1234562|0170 1234563|0170 1234564,,,
Weird,Number,,,,,,,,+999 12345
Fax,Only,,,,,,,030 9999999,
"#;

const XSS_NAME: &str = "<script>alert('x')</script>";
const XSS_LAST: &str = "O'Brien & \"Sons\"";

// ---------------------------------------------------------------------------------------------------
// A minimal XML checker: enough of XML 1.0 to prove a document well formed and to walk its elements.

const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

#[derive(Debug, Default)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
    /// The decoded text content; a `<br/>` child adds a line break.
    text: String,
}

impl Node {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn attr_names(&self) -> Vec<&str> {
        self.attrs.iter().map(|(k, _)| k.as_str()).collect()
    }
    fn child_names(&self) -> Vec<&str> {
        self.children.iter().map(|c| c.name.as_str()).collect()
    }
    fn child(&self, name: &str) -> &Node {
        self.children
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("<{}> has no <{name}>: {:?}", self.name, self.child_names()))
    }
    /// Every element called `name` in the subtree, in document order.
    fn all<'a>(&'a self, name: &str, out: &mut Vec<&'a Node>) {
        if self.name == name {
            out.push(self);
        }
        for c in &self.children {
            c.all(name, out);
        }
    }
    fn find_all(&self, name: &str) -> Vec<&Node> {
        let mut out = Vec::new();
        self.all(name, &mut out);
        out
    }
    /// All decoded text and attribute values in the subtree, for "does this name come out intact".
    fn all_text(&self) -> String {
        let mut s = self.text.clone();
        for (_, v) in &self.attrs {
            s.push('\n');
            s.push_str(v);
        }
        for c in &self.children {
            s.push('\n');
            s.push_str(&c.all_text());
        }
        s
    }
}

struct Parser<'a> {
    s: &'a str,
    i: usize,
}

fn decode(raw: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let semi = rest[amp..]
            .find(';')
            .ok_or_else(|| format!("a raw '&' in {raw:?}"))?;
        let name = &rest[amp + 1..amp + semi];
        let c = match name {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            n if n.starts_with("#x") => u32::from_str_radix(&n[2..], 16)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| format!("bad character reference &{n};"))?,
            n if n.starts_with('#') => n[1..]
                .parse::<u32>()
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| format!("bad character reference &{n};"))?,
            n => return Err(format!("unknown entity &{n}; in {raw:?}")),
        };
        out.push(c);
        rest = &rest[amp + semi + 1..];
    }
    out.push_str(rest);
    if let Some(c) = out
        .chars()
        .find(|c| (*c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(format!("control character {:?} in {raw:?}", c));
    }
    Ok(out)
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.s[self.i..]
    }
    fn eat(&mut self, t: &str) -> Result<(), String> {
        if self.rest().starts_with(t) {
            self.i += t.len();
            Ok(())
        } else {
            Err(format!("expected {t:?} at {:?}", self.context()))
        }
    }
    fn context(&self) -> String {
        self.rest().chars().take(40).collect()
    }
    fn skip_ws(&mut self) {
        let n = self.rest().len() - self.rest().trim_start().len();
        self.i += n;
    }
    fn name(&mut self) -> Result<String, String> {
        let n = self
            .rest()
            .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '-' | ':' | '.')))
            .unwrap_or(self.rest().len());
        if n == 0 {
            return Err(format!("expected a name at {:?}", self.context()));
        }
        let name = self.rest()[..n].to_string();
        self.i += n;
        Ok(name)
    }
    fn element(&mut self) -> Result<Node, String> {
        self.eat("<")?;
        let mut node = Node {
            name: self.name()?,
            ..Node::default()
        };
        loop {
            let before = self.i;
            self.skip_ws();
            if self.rest().starts_with("/>") {
                self.i += 2;
                return Ok(node);
            }
            if self.rest().starts_with('>') {
                self.i += 1;
                break;
            }
            if self.i == before {
                return Err(format!(
                    "attributes must be separated by spaces at {:?}",
                    self.context()
                ));
            }
            let key = self.name()?;
            self.eat("=\"")?;
            let end = self
                .rest()
                .find('"')
                .ok_or("an attribute value is not closed")?;
            let raw = &self.rest()[..end];
            if raw.contains('<') {
                return Err(format!("a raw '<' in the attribute {key}={raw:?}"));
            }
            if node.attr(&key).is_some() {
                return Err(format!("attribute {key} twice on <{}>", node.name));
            }
            node.attrs.push((key, decode(raw)?));
            self.i += end + 1;
        }
        loop {
            if self.rest().is_empty() {
                return Err(format!("<{}> is never closed", node.name));
            }
            if self.rest().starts_with("</") {
                self.i += 2;
                let close = self.name()?;
                self.eat(">")?;
                if close != node.name {
                    return Err(format!("<{}> closed by </{close}>", node.name));
                }
                return Ok(node);
            }
            if self.rest().starts_with('<') {
                let child = self.element()?;
                if child.name == "br" {
                    node.text.push('\n');
                }
                node.children.push(child);
                continue;
            }
            let end = self.rest().find('<').unwrap_or(self.rest().len());
            let raw = &self.rest()[..end];
            if raw.contains('>') && !raw.contains("&gt;") && raw.contains("]]>") {
                return Err("']]>' in text".into());
            }
            node.text.push_str(&decode(raw)?);
            self.i += end;
        }
    }
}

/// Parses a whole document: the UTF-8 declaration phones want, exactly one root element, nothing after.
fn parse_xml(doc: &str) -> Result<Node, String> {
    let body = doc
        .strip_prefix(DECLARATION)
        .ok_or("the document does not start with the UTF-8 XML declaration")?;
    let mut p = Parser { s: body, i: 0 };
    p.skip_ws();
    let root = p.element()?;
    p.skip_ws();
    if !p.rest().is_empty() {
        return Err(format!("content after the root element: {:?}", p.context()));
    }
    Ok(root)
}

#[test]
fn the_xml_checker_rejects_broken_documents() {
    let ok = format!("{DECLARATION}<a x=\"1&amp;2\"><b>t&lt;&#252;&#xfc;</b><c></c><br/></a>\n");
    let root = parse_xml(&ok).unwrap();
    assert_eq!(root.attr("x"), Some("1&2"));
    assert_eq!(root.child("b").text, "t<üü");
    assert_eq!(root.child_names(), ["b", "c", "br"]);
    for no_declaration in ["<a></a>", "<?xml version=\"1.0\"?>\n<a></a>"] {
        assert!(
            parse_xml(no_declaration).is_err(),
            "accepted {no_declaration:?}"
        );
    }
    let bad = [
        "<a><b></a></b>",
        "<a>x & y</a>",
        "<a>x < y</a>",
        "<a b=\"<\"></a>",
        "<a>&nbsp;</a>",
        "<a></a><b></b>",
        "<a b=\"1\" b=\"2\"></a>",
        "<a b=\"1\"c=\"2\"></a>",
        "<a>",
        "<a>\u{1}</a>",
    ];
    for b in bad {
        assert!(
            parse_xml(&format!("{DECLARATION}{b}")).is_err(),
            "accepted {b:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------------
// Helpers

/// Gets a phone document: 200, `text/xml; charset=utf-8`, well formed; returns the body and its tree.
fn xml(srv: &Server, path: &str) -> (String, Node) {
    xml_with(srv, "GET", path)
}

fn xml_with(srv: &Server, method: &str, path: &str) -> (String, Node) {
    let r = srv.request(method, path, &[], b"");
    assert_eq!(
        r.status,
        200,
        "{method} {path}: {}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(
        r.header("content-type"),
        Some("text/xml; charset=utf-8"),
        "{path}"
    );
    let body = r.text();
    let root = parse_xml(&body).unwrap_or_else(|e| panic!("{path}: {e}\n{body}"));
    (body, root)
}

/// Compares a document with `tests/golden/<vendor>/<name>.xml`, after replacing this run's address and
/// key with fixed placeholders. `UPDATE_GOLDEN=1` rewrites the file instead.
fn golden(srv: &Server, key: &str, vendor: &str, name: &str, body: &str) {
    let stable = body
        .replace(&format!("http://{}", srv.addr), "http://ringbook.test")
        .replace(key, "KEY");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(vendor)
        .join(format!("{name}.xml"));
    if std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &stable).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing; run UPDATE_GOLDEN=1 cargo test --test phones",
            path.display()
        )
    });
    assert_eq!(
        stable,
        want,
        "{} differs (rerun with UPDATE_GOLDEN=1 if the change is intended)",
        path.display()
    );
}

fn office() -> (Server, String) {
    berlin_office_with(CONTACTS, "lookup,phonebook")
}

/// The names of the Snom menu items.
fn menu_items(root: &Node) -> Vec<String> {
    root.find_all("MenuItem")
        .iter()
        .map(|m| m.attr("name").unwrap_or_default().to_string())
        .collect()
}

/// The path and query of an absolute URL this server handed out.
fn local(srv: &Server, url: &str) -> String {
    url.strip_prefix(&format!("http://{}", srv.addr))
        .unwrap_or_else(|| panic!("{url} does not point back at this server"))
        .to_string()
}

fn softkey<'a>(root: &'a Node, label: &str) -> Option<&'a Node> {
    root.find_all("SoftKeyItem")
        .into_iter()
        .find(|s| s.child("Label").text == label)
}

// ---------------------------------------------------------------------------------------------------
// Tests

#[test]
fn every_phone_format_matches_its_golden_file() {
    let (srv, key) = office();
    let docs = [
        ("snom", "incoming", format!("/snom/incoming?key={key}&remote=sip:%2B49301234567@pbx.local;user=phone&local=sip:201@pbx.local&cid=3c3b966053be-phxdiv27t9gm&mac=000413A1B2C3"), "SnomIPPhoneText"),
        ("snom", "incoming_markup", format!("/snom/incoming?key={key}&remote=0897654321&cid=x&mac=000413A1B2C3"), "SnomIPPhoneText"),
        ("snom", "directory_input", format!("/snom/directory?key={key}"), "SnomIPPhoneInput"),
        ("snom", "directory_groups", format!("/snom/directory?key={key}&q="), "SnomIPPhoneMenu"),
        ("snom", "directory_t9", format!("/snom/directory?key={key}&q=685537"), "SnomIPPhoneMenu"),
        ("snom", "directory_group_mno", format!("/snom/directory?key={key}&group=mno"), "SnomIPPhoneMenu"),
        ("snom", "directory_nothing", format!("/snom/directory?key={key}&q=xyz%3Cb%3E"), "SnomIPPhoneText"),
        ("snom", "tbook", format!("/snom/tbook.xml?key={key}"), "tbook"),
        ("dect", "directory", format!("/dect/directory.xml?key={key}"), "IPPhoneDirectory"),
        ("yealink", "phonebook", format!("/yealink/phonebook.xml?key={key}&q="), "YealinkIPPhoneDirectory"),
        ("yealink", "search", format!("/yealink/phonebook.xml?key={key}&q=garc%C3%ADa"), "YealinkIPPhoneDirectory"),
        ("grandstream", "phonebook", format!("/grandstream/phonebook.xml?key={key}"), "AddressBook"),
    ];
    for (vendor, name, path, root_name) in docs {
        let (body, root) = xml(&srv, &path);
        assert_eq!(root.name, root_name, "{vendor}/{name}");
        golden(&srv, &key, vendor, name, &body);
    }
}

#[test]
fn strict_formats_keep_element_order_empty_tags_and_plain_roots() {
    let (srv, key) = office();

    let (body, root) = xml(&srv, &format!("/dect/directory.xml?key={key}"));
    assert!(root.attrs.is_empty(), "the DECT root takes no attributes");
    assert!(
        !body.contains("/>"),
        "DECT gets open and close tags, never <X/>"
    );
    assert!(body.contains("<Telephone></Telephone>"));
    let entries = root.find_all("DirectoryEntry");
    assert_eq!(root.child_names().len(), entries.len());
    for e in &entries {
        assert_eq!(e.child_names(), ["Name", "Telephone", "Office", "Mobile"]);
        assert!(e.attrs.is_empty());
    }
    // Four mobiles don't fit one DECT entry: the same name carries on in a second one.
    let many: Vec<&&Node> = entries
        .iter()
        .filter(|e| e.child("Name").text == "Mobiles, Many")
        .collect();
    assert_eq!(many.len(), 2);
    let numbers: Vec<&str> = many
        .iter()
        .flat_map(|e| e.children[1..].iter().map(|c| c.text.as_str()))
        .filter(|n| !n.is_empty())
        .collect();
    assert_eq!(numbers.len(), 4, "{numbers:?}");

    let (_, root) = xml(&srv, &format!("/snom/tbook.xml?key={key}"));
    assert_eq!(root.attr_names(), ["e", "version", "complete"]);
    assert_eq!(root.attr("version"), Some("2.0"));
    assert_eq!(root.attr("complete"), Some("true"));
    for c in root.find_all("contact") {
        assert_eq!(c.child_names(), ["first_name", "last_name", "numbers"]);
        for n in c.child("numbers").children.iter() {
            assert_eq!(n.name, "number");
            assert_eq!(n.attr_names(), ["no", "type", "outgoing_id"]);
        }
    }

    let (_, root) = xml(&srv, &format!("/grandstream/phonebook.xml?key={key}"));
    assert!(root.attrs.is_empty());
    for p in root.find_all("Phone") {
        assert_eq!(p.child_names(), ["phonenumber", "accountindex"]);
        assert!(["Work", "Home", "Mobile", "Fax", "Other"].contains(&p.attr("type").unwrap()));
    }
    for c in root.find_all("Contact") {
        let names = c.child_names();
        assert!(
            names.contains(&"FirstName") || names.contains(&"LastName"),
            "{names:?}"
        );
    }

    let (_, root) = xml(&srv, &format!("/yealink/phonebook.xml?key={key}"));
    assert!(root.attrs.is_empty());
    for e in root.find_all("DirectoryEntry") {
        assert_eq!(e.child_names()[0], "Name");
        assert!(e.child_names()[1..].iter().all(|n| *n == "Telephone"));
    }

    // Every number a phone dials is whitespace-free, E.164 where it parsed, raw otherwise.
    let (_, root) = xml(&srv, &format!("/snom/directory?key={key}&group=mno"));
    for u in root
        .find_all("URL")
        .iter()
        .filter(|u| u.text.starts_with("snom:"))
    {
        let n = u.text.strip_prefix("snom://mb_nop#numberdial=").unwrap();
        assert!(!n.is_empty() && !n.contains(char::is_whitespace), "{n:?}");
    }
    let all = root.all_text();
    assert!(all.contains("numberdial=+99912345"), "{all}");
    assert!(all.contains("numberdial=+491701234561"), "{all}");
}

#[test]
fn markup_in_names_comes_out_escaped_and_intact_in_every_format() {
    let (srv, key) = office();
    let paths = [
        format!("/snom/incoming?key={key}&remote=%2B49897654321"),
        format!("/snom/directory?key={key}&q=brien"),
        format!("/snom/tbook.xml?key={key}"),
        format!("/dect/directory.xml?key={key}"),
        format!("/yealink/phonebook.xml?key={key}&q="),
        format!("/grandstream/phonebook.xml?key={key}"),
    ];
    for path in paths {
        let (body, root) = xml(&srv, &path);
        for raw in ["<script", "<b>", "</b>", "O'Brien & \""] {
            assert!(!body.contains(raw), "{path} contains raw {raw:?}:\n{body}");
        }
        let text = root.all_text();
        assert!(text.contains(XSS_NAME), "{path}: {text}");
        assert!(text.contains(XSS_LAST), "{path}: {text}");
    }
    // Umlauts, accents, Cyrillic and the other special characters come out as they went in.
    let (_, root) = xml(&srv, &format!("/snom/tbook.xml?key={key}"));
    let text = root.all_text();
    for s in [
        "Müller",
        "Öztürk",
        "Jürgen",
        "García-Núñez",
        "José",
        "Иван",
        "Петров",
    ] {
        assert!(text.contains(s), "tbook lost {s}: {text}");
    }
    let (_, root) = xml(
        &srv,
        &format!("/snom/incoming?key={key}&remote=%2B34912345678"),
    );
    assert!(
        root.all_text().contains("Café \"Olé\" <Lisboa>"),
        "{}",
        root.all_text()
    );
}

#[test]
fn t9_digits_and_names_with_umlauts_find_the_contact() {
    let (srv, key) = office();
    let cases = [
        ("685537", "Müller, Anna"),
        ("6835537", "Müller, Anna"),
        ("698875", "Öztürk, Jürgen"),
        ("587436", "Öztürk, Jürgen"),
        ("4225", "Петров, Иван"),
        ("427242", "García-Núñez, José"),
        ("m%C3%BCller", "Müller, Anna"),
        ("MUELLER", "Müller, Anna"),
        ("%C3%B6zt", "Öztürk, Jürgen"),
        ("jose+garcia", "García-Núñez, José"),
        ("%D0%B8%D0%B2%D0%B0%D0%BD", "Петров, Иван"),
        ("0301234567", "Müller, Anna"),
    ];
    for (q, want) in cases {
        let (_, root) = xml(&srv, &format!("/snom/directory?key={key}&q={q}"));
        let items = menu_items(&root);
        assert!(
            !items.is_empty() && items.iter().all(|i| i.starts_with(want)),
            "q={q}: {items:?}"
        );
    }
    // The Snom search prompt starts in number mode, so keypad presses arrive as digits.
    let (_, root) = xml(&srv, &format!("/snom/directory?key={key}"));
    assert_eq!(root.child("InputItem").child("InputFlags").text, "e");
    let url = root.child("URL").text.clone();
    assert!(
        url.contains(&format!("key={key}")) && url.ends_with("q=__Q__"),
        "{url}"
    );
    // What the phone fetches after OK: the token replaced by the digits typed.
    let (_, found) = xml(&srv, &local(&srv, &url.replace("__Q__", "685537")));
    assert_eq!(
        menu_items(&found),
        ["Müller, Anna (Office)", "Müller, Anna (Mobile)"]
    );
}

#[test]
fn the_callers_plus_survives_every_way_it_arrives() {
    let (srv, key) = office();
    let known = [
        "%2B49301234567",
        "+49301234567",
        "%2049301234567",
        "sip:+49301234567@pbx.local",
        "sip:%2B49301234567@pbx.local;user=phone",
        "sip:%2049301234567@pbx.local",
        "%3Csip:0301234567@10.0.0.1%3E",
        "0301234567",
        "1234567",
    ];
    for remote in known {
        let (_, root) = xml(
            &srv,
            &format!("/snom/incoming?key={key}&remote={remote}&local=sip:201@pbx&cid=abc@10.0.0.1&mac=000413000001"),
        );
        assert_eq!(root.attr("state"), Some("relevant"), "{remote}");
        let text = &root.child("Text").text;
        assert!(
            text.starts_with("Anna Müller\nBäckerei & Söhne\n"),
            "{remote}: {text:?}"
        );
    }
    // Unknown, withheld and unreadable callers: an empty 200, which the phone shows as nothing.
    for remote in [
        "%2B4940999999",
        "anonymous",
        "sip:anonymous@anonymous.invalid",
        "",
        "drop%20table",
        "201",
    ] {
        let r = srv.get(&format!(
            "/snom/incoming?key={key}&remote={remote}&cid=x&mac=y"
        ));
        assert_eq!((r.status, r.body.len()), (200, 0), "{remote}: {}", r.text());
    }
    // A tie shows every name instead of picking one.
    let db_csv =
        "first_name,last_name,office\nCarla,Gleich,0221 99887766\nDora,Gleich,+49 221 99887766\n";
    srv.db.import_csv(db_csv);
    let (_, root) = xml(
        &srv,
        &format!("/snom/incoming?key={key}&remote=%2B4922199887766"),
    );
    let text = &root.child("Text").text;
    assert!(
        text.contains("Carla Gleich") && text.contains("Dora Gleich"),
        "{text:?}"
    );
}

#[test]
fn a_2000_contact_phone_book_is_complete_paged_and_capped_where_phones_need_it() {
    let db = Db::new("tbook2000");
    db.berlin();
    let out = db.ok(&["demo-data", "--contacts", "2000"]);
    let numbers: usize = out
        .split_whitespace()
        .skip_while(|w| *w != "with")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number count in {out:?}"));
    let key = db.key("phonebook");
    let srv = Server::start(db);

    // GET and POST give the same complete tbook with every number of every contact.
    let (get_body, root) = xml(&srv, &format!("/snom/tbook.xml?key={key}"));
    assert_eq!(root.find_all("contact").len(), 2000);
    assert_eq!(root.find_all("number").len(), numbers);
    let (post_body, _) = xml_with(&srv, "POST", &format!("/snom/tbook.xml?key={key}"));
    assert_eq!(get_body, post_body);

    // Old models with 100 slots get at most 100 numbers.
    let (_, root) = xml(&srv, &format!("/snom/tbook.xml?key={key}&limit=100"));
    let n = root.find_all("number").len();
    assert!((98..=100).contains(&n), "{n} numbers for 100 slots");
    assert!(
        srv.log_text().contains("snom tbook: sent only the first"),
        "{}",
        srv.log_text()
    );
    let r = srv.get(&format!("/snom/tbook.xml?key={key}&limit=lots"));
    assert_eq!(r.status, 400);

    // Grandstream phones hold 1,000 contacts: the file stops there and the log says so.
    let (_, root) = xml(&srv, &format!("/grandstream/phonebook.xml?key={key}"));
    assert_eq!(root.find_all("Contact").len(), 1000);
    assert!(
        srv.log_text()
            .contains("grandstream phone book: sent only the first 1000 contacts"),
        "{}",
        srv.log_text()
    );

    // DECT and Yealink carry everyone.
    let (_, root) = xml(
        &srv,
        &format!("/yealink/phonebook.xml?key={key}&q=%23SEARCH"),
    );
    assert_eq!(root.find_all("DirectoryEntry").len(), 2000);
    assert_eq!(root.find_all("Telephone").len(), numbers);
    let (_, root) = xml(&srv, &format!("/dect/directory.xml?key={key}"));
    let dect_numbers = root
        .find_all("DirectoryEntry")
        .iter()
        .flat_map(|e| e.children[1..].iter())
        .filter(|c| !c.text.is_empty())
        .count();
    assert_eq!(dect_numbers, numbers);

    // Browsing every A-Z group page by page with the softkeys reaches every number exactly once.
    let (_, groups) = xml(&srv, &format!("/snom/directory?key={key}&q="));
    let mut seen = 0;
    let mut pages = 0;
    for group_url in groups
        .find_all("URL")
        .iter()
        .filter(|u| u.text.contains("group="))
    {
        let mut next = Some(local(&srv, &group_url.text));
        let mut first_page = true;
        while let Some(path) = next {
            let (_, page) = xml(&srv, &path);
            let items = menu_items(&page);
            assert!(
                !items.is_empty() && items.len() <= 20,
                "{path}: {} items",
                items.len()
            );
            assert!(
                items.len() <= 100,
                "speed selection handles at most 100 lines"
            );
            seen += items.len();
            pages += 1;
            assert_eq!(
                softkey(&page, "Previous").is_none(),
                first_page,
                "{path}: Previous on every page but the first"
            );
            first_page = false;
            next = softkey(&page, "Next").map(|s| local(&srv, &s.child("URL").text));
        }
    }
    assert_eq!(seen, numbers, "in {pages} pages");
    assert!(pages > numbers / 20);
}

#[test]
fn yealink_search_matches_name_or_number_and_an_empty_query_lists_all() {
    let (srv, key) = office();
    let names = |q: &str| -> Vec<String> {
        let (_, root) = xml(&srv, &format!("/yealink/phonebook.xml?key={key}&q={q}"));
        root.find_all("Name")
            .iter()
            .map(|n| n.text.clone())
            .collect()
    };
    let all = names("");
    assert_eq!(all.len(), 9, "{all:?}");
    assert_eq!(
        names("%23SEARCH"),
        all,
        "an unreplaced #SEARCH lists everything"
    );
    assert_eq!(all, {
        let (_, root) = xml(&srv, &format!("/yealink/phonebook.xml?key={key}"));
        root.find_all("Name")
            .iter()
            .map(|n| n.text.clone())
            .collect::<Vec<_>>()
    });
    assert_eq!(names("M%C3%BCller"), ["Müller, Anna"]);
    assert_eq!(names("%2B49301234567"), ["Müller, Anna"]);
    assert_eq!(names("030%201234567"), ["Müller, Anna"]);
    assert_eq!(names("0897654321"), [format!("{XSS_LAST}, {XSS_NAME}")]);
    assert_eq!(names("zentrale"), ["Zentrale Muster GmbH"]);
    // Digits are numbers for Yealink, never keypad letters.
    assert!(names("685537").is_empty());
    assert!(names("nobody").is_empty());
}

#[test]
fn phones_without_a_valid_key_get_an_empty_401() {
    let (srv, _key) = office();
    let paths = [
        "/snom/incoming?remote=%2B49301234567",
        "/snom/directory",
        "/snom/directory?q=685537",
        "/snom/tbook.xml",
        "/dect/directory.xml",
        "/yealink/phonebook.xml?q=",
        "/grandstream/phonebook.xml",
        "/grandstream/rbk_nope_nope/phonebook.xml",
        "/grandstream/%3Cx%3E/phonebook.xml",
        "/snom/tbook.xml?key=rbk_nope_nope",
    ];
    for path in paths {
        let r = srv.get(path);
        assert_eq!((r.status, r.body.len()), (401, 0), "{path}: {}", r.text());
    }
    let r = srv.request("POST", "/snom/tbook.xml", &[], b"");
    assert_eq!((r.status, r.body.len()), (401, 0));
    // A key for other work is refused too: a lookup key can't read the phone book, a phone-book key
    // can't look callers up.
    let lookup_only = srv.db.key("lookup");
    let r = srv.get(&format!("/snom/tbook.xml?key={lookup_only}"));
    assert_eq!((r.status, r.body.len()), (403, 0));
    let phonebook_only = srv.db.key("phonebook");
    let r = srv.get(&format!(
        "/snom/incoming?key={phonebook_only}&remote=%2B49301234567"
    ));
    assert_eq!((r.status, r.body.len()), (403, 0));
    let r = srv.get(&format!("/grandstream/{phonebook_only}/phonebook.xml"));
    assert_eq!(r.status, 200);
}

#[test]
fn ip_allowlist_keys_work_for_phones_that_send_no_key() {
    let db = Db::new("phones-ip");
    db.berlin();
    db.import_csv(CONTACTS);
    db.ok(&[
        "apikey",
        "create",
        "--name",
        "desk phones",
        "--scopes",
        "lookup,phonebook",
        "--allow",
        "127.0.0.0/8",
        "--no-secret",
    ]);
    let srv = Server::start(db);
    let (_, root) = xml(
        &srv,
        "/snom/incoming?remote=+49301234567&local=sip:201@pbx&cid=1&mac=2",
    );
    assert!(root.child("Text").text.starts_with("Anna Müller"));
    // Without a key to carry, the directory's own links carry none.
    let (body, root) = xml(&srv, "/snom/directory");
    assert!(!body.contains("key="), "{body}");
    let url = root.child("URL").text.replace("__Q__", "m%C3%BC");
    let (_, found) = xml(&srv, &local(&srv, &url));
    assert!(menu_items(&found)
        .iter()
        .any(|i| i.starts_with("Müller, Anna")));
    for path in [
        "/snom/tbook.xml",
        "/dect/directory.xml",
        "/yealink/phonebook.xml?q=",
        "/grandstream/phonebook.xml",
    ] {
        let (_, root) = xml(&srv, path);
        assert!(root.all_text().contains("Müller"), "{path}");
    }
    let (_, root) = xml_with(&srv, "POST", "/snom/tbook.xml");
    assert_eq!(root.name, "tbook");
}

/// A whole office's phone book is far over 32 KB, where the HTTP library would switch to chunked
/// transfer; desk phones' small HTTP clients get it with a Content-Length instead.
#[test]
fn a_large_phone_book_is_sent_with_its_length_not_chunked() {
    let mut csv = String::from("first_name,last_name,company,phone\n");
    for i in 0..600 {
        csv.push_str(&format!(
            "Anna{i},Muster{i},Example GmbH {i},030 55{i:05}\n"
        ));
    }
    let (srv, key) = berlin_office_with(&csv, "lookup,phonebook");
    let r = srv.get(&format!("/grandstream/phonebook.xml?key={key}"));
    assert_eq!(r.status, 200);
    assert!(r.body.len() > 32 * 1024, "{} bytes", r.body.len());
    assert_eq!(r.header("transfer-encoding"), None);
    assert_eq!(
        r.header("content-length"),
        Some(r.body.len().to_string().as_str())
    );
    assert!(r.text().contains("Anna599"));
}

#[test]
fn a_name_imported_with_line_breaks_reaches_every_phone_on_one_line() {
    let csv = "first_name,last_name,company,office\n\"Break\nName\",\"Line\r\n\",\"Two\tLines\nGmbH\",030 7777777\n";
    let (srv, key) = berlin_office_with(csv, "lookup,phonebook");
    for path in [
        "/snom/tbook.xml",
        "/dect/directory.xml",
        "/yealink/phonebook.xml",
        "/grandstream/phonebook.xml",
        "/snom/directory?q=break",
        "/snom/incoming?remote=%2B49307777777",
        "/lookup.txt?number=%2B49307777777",
    ] {
        let sep = if path.contains('?') { '&' } else { '?' };
        let r = srv.get(&format!("{path}{sep}key={key}"));
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        let body = r.text();
        assert!(body.contains("Break Name"), "{path}:\n{body}");
        for broken in ["Break\n", "Line\r", "Two\t", "Lines\n"] {
            assert!(!body.contains(broken), "{path} keeps {broken:?}:\n{body}");
        }
    }
}

#[test]
fn a_search_of_only_keypad_signs_finds_nothing_not_everything() {
    let (srv, key) = office();
    for q in ["*", "-", "%23"] {
        let (_, root) = xml(&srv, &format!("/snom/directory?key={key}&q={q}"));
        assert_eq!(
            root.name,
            "SnomIPPhoneText",
            "q={q}: {:?}",
            menu_items(&root)
        );
        let (_, root) = xml(&srv, &format!("/yealink/phonebook.xml?key={key}&q={q}"));
        assert!(root.find_all("DirectoryEntry").is_empty(), "q={q}");
    }
}
