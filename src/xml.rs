//! The one XML writer for every phone and PBX format. Phones are strict (see shared protocols:
//! snom-phones.md §2.1): an XML declaration, UTF-8, exact element names and order, and empty elements
//! written as an open and a close tag (`<Name></Name>`, never `<Name/>`). Every text and attribute value
//! is escaped here, so a contact named `<b>&"'` comes out intact and harmless.

/// Escapes text for element content and attribute values alike. Attributes are always written in
/// double quotes, so an apostrophe stays one: `&apos;` is the one XML entity HTML 4 lacks, and a
/// phone's small parser showing "O&apos;Brien" would cost more than escaping gains (see shared protocols:
/// snom-phones.md §2.1, "avoid relying on exotic entities").
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    escape_into(&mut out, s);
    out
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Control characters other than tab and newlines are not allowed in XML 1.0 at all.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => {}
            '\u{fffe}' | '\u{ffff}' => {}
            c => out.push(c),
        }
    }
}

/// Builds a document element by element. Indentation is two spaces; phones don't care, people do.
pub struct XmlWriter {
    out: String,
    stack: Vec<&'static str>,
}

impl Default for XmlWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl XmlWriter {
    /// Starts a document with `<?xml version="1.0" encoding="UTF-8"?>`.
    pub fn new() -> XmlWriter {
        XmlWriter {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            stack: Vec::new(),
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.stack.len() {
            self.out.push_str("  ");
        }
    }

    fn open_tag(&mut self, name: &'static str, attrs: &[(&str, &str)]) {
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            escape_into(&mut self.out, v);
            self.out.push('"');
        }
        self.out.push('>');
    }

    /// Opens an element that will hold other elements.
    pub fn open(&mut self, name: &'static str, attrs: &[(&str, &str)]) -> &mut Self {
        self.indent();
        self.open_tag(name, attrs);
        self.out.push('\n');
        self.stack.push(name);
        self
    }

    /// Closes the innermost open element.
    pub fn close(&mut self) -> &mut Self {
        if let Some(name) = self.stack.pop() {
            self.indent();
            self.out.push_str("</");
            self.out.push_str(name);
            self.out.push_str(">\n");
        }
        self
    }

    /// An element with text content; empty text gives `<Name></Name>`.
    pub fn text(&mut self, name: &'static str, attrs: &[(&str, &str)], text: &str) -> &mut Self {
        self.indent();
        self.open_tag(name, attrs);
        escape_into(&mut self.out, text);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
        self
    }

    /// Closes whatever is still open and returns the document.
    pub fn finish(mut self) -> String {
        while !self.stack.is_empty() {
            self.close();
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_keeps_unicode() {
        assert_eq!(
            escape("<img src=x onerror=\"a\">&'"),
            "&lt;img src=x onerror=&quot;a&quot;&gt;&amp;'"
        );
        assert_eq!(escape("Müller Иван\u{1}"), "Müller Иван");
    }

    #[test]
    fn empty_elements_are_open_and_close() {
        let mut w = XmlWriter::new();
        w.open("Root", &[("a", "1&2")])
            .text("Empty", &[], "")
            .text("Name", &[], "Ä&B");
        let doc = w.finish();
        assert_eq!(
            doc,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Root a=\"1&amp;2\">\n  <Empty></Empty>\n  <Name>Ä&amp;B</Name>\n</Root>\n"
        );
    }
}
