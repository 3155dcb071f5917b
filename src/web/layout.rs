//! The page frame every UI page shares, and the small components used across pages.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::i18n::Lang;
use super::Me;

/// The frame for pages seen before login (login, setup): no navigation.
pub fn bare(lang: Lang, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · ringbook" }
                link rel="stylesheet" href="/assets/style.css";
                script src="/assets/app.js" defer {}
            }
            body.bare {
                main.narrow {
                    h1.brand { "ringbook" }
                    (body)
                }
            }
        }
    }
}

/// The frame for logged-in pages: navigation by role, the user's menu, and the live-event hooks.
pub fn layout(me: &Me, title: &str, active: &str, body: Markup) -> Markup {
    let mut items: Vec<(&str, &'static str, &str)> = vec![
        ("/", "nav.dashboard", "dashboard"),
        ("/calls", "nav.calls", "calls"),
        ("/calls/missed", "nav.missed", "missed"),
        ("/contacts", "nav.contacts", "contacts"),
    ];
    if me.s.is_admin() {
        items.extend([
            ("/operators", "nav.operators", "operators"),
            ("/users", "users.title", "users"),
            ("/reports", "nav.reports", "reports"),
            ("/integrations", "nav.integrations", "integrations"),
            ("/settings", "nav.settings", "settings"),
        ]);
    }
    html! {
        (DOCTYPE)
        html lang=(me.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · ringbook" }
                link rel="stylesheet" href="/assets/style.css";
                script src="/assets/app.js" defer {}
            }
            body data-live="1"
                data-t-enable=(me.t("notify.enable"))
                data-t-on=(me.t("notify.on"))
                data-t-denied=(me.t("notify.denied"))
                data-t-incoming=(me.t("notify.incoming")) {
                header.top {
                    a.brand href="/" { "ringbook" }
                    nav {
                        @for (href, key, id) in &items {
                            a href=(href) class=[(*id == active).then_some("active")] { (me.t(key)) }
                        }
                    }
                    div.user {
                        button #notify-btn .small type="button" hidden { (me.t("notify.enable")) }
                        a.who href="/me" title=(me.t("account.title")) { (me.s.name) }
                        form.inline method="post" action="/logout" {
                            (csrf(me))
                            button.small.secondary type="submit" { (me.t("nav.logout")) }
                        }
                    }
                }
                main {
                    @if let Some(free) = crate::disk::low().filter(|_| me.s.is_admin()) {
                        p.notice.error role="alert" data-disk-low="1" {
                            (me.t("disk.low").replace("{mb}", &(free >> 20).to_string()))
                        }
                    }
                    h1 { (title) }
                    (body)
                }
                footer {
                    form.inline method="post" action="/me/language" {
                        (csrf(me))
                        label { (me.t("field.language")) " "
                            select name="language" data-autosubmit="1" {
                                @for l in Lang::ALL {
                                    option value=(l.code()) selected[l == me.lang] { (l.name()) }
                                }
                            }
                        }
                        noscript { button.small type="submit" { (me.t("action.save")) } }
                    }
                }
            }
        }
    }
}

/// A page with only a title and a sentence (errors, refusals).
pub fn message(me: &Me, title: &str, text: &str) -> Markup {
    layout(
        me,
        title,
        "",
        html! { p { (text) } p { a href="/" { (me.t("nav.dashboard")) } } },
    )
}

/// The hidden CSRF field every state-changing form carries.
pub fn csrf(me: &Me) -> Markup {
    html! { input type="hidden" name="csrf" value=(me.s.csrf); }
}

/// The strength meter beside a field that sets a password (ASVS 2.1.8). The field names it with
/// `data-meter`; app.js shows it once something is typed, graded by `POST /password-check`. Hidden
/// until then, so a browser without script sees only the field and the hint.
pub fn password_meter(lang: Lang, id: &str) -> Markup {
    html! {
        span.meter id=(id) hidden role="status" {
            meter min="0" max="3" low="1.5" high="2.5" optimum="3" value="0" aria-label=(lang.t("password.strength")) {}
            " " span.meter-text {}
        }
    }
}

/// An error or success notice above a form.
pub fn notice(kind: &str, text: &str) -> Markup {
    html! { p class=(format!("notice {kind}")) role="status" { (text) } }
}

/// A duration in seconds as `m:ss` or `h:mm:ss`.
pub fn duration(secs: i64) -> String {
    let s = secs.max(0);
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// A copy button for the element with `id` (app.js does the copying).
pub fn copy_button(me: &Me, id: &str) -> Markup {
    html! { button.small.copy type="button" data-copy=(id) data-done=(me.t("action.copied")) { (me.t("action.copy")) } }
}

/// A non-breaking dash for empty cells.
pub fn dash() -> Markup {
    PreEscaped("&ndash;".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_clock_times() {
        assert_eq!(duration(0), "0:00");
        assert_eq!(duration(75), "1:15");
        assert_eq!(duration(3725), "1:02:05");
        assert_eq!(duration(-5), "0:00");
    }
}
