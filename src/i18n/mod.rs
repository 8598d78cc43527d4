//! ticketd's languages: Fluent catalogs (embedded) for English, German and French, one
//! for the web pages (`web/*.ftl`) and one for the mail ticketd writes (`mail/*.ftl`).
//!
//! Who reads which language is decided elsewhere: the web UI per request
//! (`server::web::i18n`), mail per recipient (their `lang`, else `mail.language`). Here
//! is only the lookup: a message missing from German or French is taken from English;
//! one missing from English shows its key: never an empty string or a panic.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// A language ticketd is shipped in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
    Fr,
}

impl Lang {
    /// Every shipped language, English (the reference catalog) first.
    pub const ALL: [Lang; 3] = [Lang::En, Lang::De, Lang::Fr];

    /// The code in `<html lang>` and in users' `lang` setting.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Fr => "fr",
        }
    }

    /// The language's name in itself, as a language menu lists it.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::De => "Deutsch",
            Lang::Fr => "Français",
        }
    }

    /// The language a tag names (`de`, `de-CH`, `FR_fr`), if we ship it.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        Lang::ALL
            .into_iter()
            .find(|lang| primary.eq_ignore_ascii_case(lang.code()))
    }

    /// The language of an `Accept-Language` header: the shipped one with the highest
    /// q-value, the earlier on a tie; English when none is shipped or asked for.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("");
            let quality = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let Some(lang) = Lang::from_tag(tag) else { continue };
            if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, lang));
            }
        }
        best.map_or(Lang::En, |(_, lang)| lang)
    }

    /// The catalogs of the language: the web pages' and the mail's.
    fn sources(self) -> [&'static str; 2] {
        match self {
            Lang::En => [include_str!("web/en.ftl"), include_str!("mail/en.ftl")],
            Lang::De => [include_str!("web/de.ftl"), include_str!("mail/de.ftl")],
            Lang::Fr => [include_str!("web/fr.ftl"), include_str!("mail/fr.ftl")],
        }
    }
}

type Bundle = FluentBundle<FluentResource>;

/// The catalogs, parsed once; a syntax error in a shipped catalog is a build mistake the
/// unit tests catch, so here it only loses the broken entries (English fills in).
static BUNDLES: LazyLock<Vec<(Lang, Bundle)>> = LazyLock::new(|| {
    Lang::ALL
        .into_iter()
        .map(|lang| {
            let mut bundle = Bundle::new_concurrent(vec![lang.code().parse().unwrap_or_default()]);
            // no Unicode isolation marks around values: pages are HTML, mail is plain
            // text, and English must read exactly as written
            bundle.set_use_isolating(false);
            for source in lang.sources() {
                let resource = FluentResource::try_new(source.to_string()).unwrap_or_else(|(partial, errors)| {
                    tracing::error!(lang = lang.code(), ?errors, "a message catalog does not parse");
                    partial
                });
                if let Err(errors) = bundle.add_resource(resource) {
                    tracing::error!(lang = lang.code(), ?errors, "a message catalog repeats a key");
                }
            }
            (lang, bundle)
        })
        .collect()
});

fn bundle(lang: Lang) -> &'static Bundle {
    let bundles = &*BUNDLES;
    bundles
        .iter()
        .find(|(l, _)| *l == lang)
        .map(|(_, b)| b)
        .unwrap_or(&bundles[0].1)
}

/// The message `key` in `lang` with `args`, from English when `lang` lacks it, the key
/// itself when English does too.
pub fn message(lang: Lang, key: &str, args: Option<&FluentArgs>) -> String {
    first_of([bundle(lang), bundle(Lang::En)], key, args)
}

/// The message from the first bundle that has it; the key when none does.
fn first_of(bundles: [&Bundle; 2], key: &str, args: Option<&FluentArgs>) -> String {
    for bundle in bundles {
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            continue;
        };
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::warn!(key, ?errors, "a message did not format cleanly");
        }
        return text.into_owned();
    }
    tracing::warn!(key, "no such message in any catalog");
    key.to_string()
}

/// The minijinja `tr(key, **args)` function, for pages and mail templates alike: the
/// message in the template's `lang` (English without one).
pub fn template_function(
    state: &minijinja::State<'_, '_>,
    key: &str,
    kwargs: minijinja::value::Kwargs,
) -> Result<String, minijinja::Error> {
    let lang = state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(Lang::from_tag))
        .unwrap_or(Lang::En);
    let mut args = FluentArgs::new();
    for name in kwargs.args() {
        let value: minijinja::Value = kwargs.get(name)?;
        let value = match i64::try_from(value.clone()) {
            Ok(n) if value.kind() == minijinja::value::ValueKind::Number => FluentValue::from(n),
            _ => FluentValue::from(value.to_string()),
        };
        args.set(name.to_string(), value);
    }
    Ok(message(lang, key, Some(&args)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys of one of the language's catalogs (0: web, 1: mail).
    fn keys_of(lang: Lang, catalog: usize) -> Vec<String> {
        let resource = FluentResource::try_new(lang.sources()[catalog].to_string())
            .unwrap_or_else(|(_, errors)| panic!("{} catalog {catalog} does not parse: {errors:?}", lang.code()));
        let mut keys: Vec<String> = resource
            .entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
                _ => None,
            })
            .collect();
        keys.sort();
        keys
    }

    fn keys(lang: Lang) -> Vec<String> {
        let mut keys = keys_of(lang, 0);
        keys.extend(keys_of(lang, 1));
        keys
    }

    #[test]
    fn every_catalog_has_exactly_the_english_keys() {
        let english = keys(Lang::En);
        assert!(
            keys_of(Lang::En, 0).len() > 100,
            "the English web catalog looks cut short"
        );
        assert!(
            keys_of(Lang::En, 1).len() > 20,
            "the English mail catalog looks cut short"
        );
        for lang in [Lang::De, Lang::Fr] {
            let other = keys(lang);
            let missing: Vec<_> = english.iter().filter(|k| !other.contains(k)).collect();
            let extra: Vec<_> = other.iter().filter(|k| !english.contains(k)).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", lang.code());
            assert!(extra.is_empty(), "{} has keys English lacks: {extra:?}", lang.code());
        }
    }

    #[test]
    fn every_message_formats_without_errors() {
        let mut args = FluentArgs::new();
        for name in [
            "id",
            "subject",
            "n",
            "who",
            "status",
            "due",
            "page",
            "role",
            "group",
            "queue",
            "user",
            "name",
            "reason",
            "tickets",
            "owner",
            "requestors",
            "priority",
            "age",
            "more",
            "tag",
            "actor",
            "since",
            "login",
            "hours",
            "member",
            "right",
            "scope",
            "time",
            "old",
            "new",
            "field",
            "link",
            "ticket",
            "event",
            "minutes",
            "created",
            "search",
        ] {
            args.set(name, "x");
        }
        for name in ["total", "count"] {
            args.set(name, 2);
        }
        args.set("period", "daily");
        for lang in Lang::ALL {
            let bundle = bundle(lang);
            for key in keys(lang) {
                let pattern = bundle.get_message(&key).and_then(|m| m.value()).expect("a value");
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, Some(&args), &mut errors);
                assert!(errors.is_empty(), "{} {key}: {errors:?}", lang.code());
                assert!(!text.trim().is_empty(), "{} {key} is empty", lang.code());
            }
        }
    }

    #[test]
    fn accept_language_picks_the_best_shipped_language() {
        assert_eq!(Lang::from_accept_language("de"), Lang::De);
        assert_eq!(Lang::from_accept_language("de-CH, en;q=0.5"), Lang::De);
        assert_eq!(Lang::from_accept_language("en;q=0.4, fr;q=0.9, de;q=0.8"), Lang::Fr);
        assert_eq!(Lang::from_accept_language("ja, fr-CA;q=0.3"), Lang::Fr);
        assert_eq!(Lang::from_accept_language("fr;q=0, de;q=0.1"), Lang::De);
        assert_eq!(Lang::from_accept_language("ja, zh;q=0.9"), Lang::En);
        assert_eq!(Lang::from_accept_language("*"), Lang::En);
        assert_eq!(Lang::from_accept_language(""), Lang::En);
        assert_eq!(Lang::from_accept_language("de;q=nonsense, fr;q=0.5"), Lang::De);
    }

    #[test]
    fn a_missing_message_falls_back_to_english_then_to_its_key() {
        let mut partial = Bundle::new_concurrent(vec![]);
        let resource = FluentResource::try_new("nav-search = Suche\n".to_string()).expect("parses");
        partial.add_resource(resource).expect("one key");
        assert_eq!(first_of([&partial, bundle(Lang::En)], "nav-search", None), "Suche");
        assert_eq!(first_of([&partial, bundle(Lang::En)], "nav-home", None), "Home");
        assert_eq!(message(Lang::De, "nav-home", None), "Start");
        assert_eq!(message(Lang::Fr, "no-such-message", None), "no-such-message");
        let mut args = FluentArgs::new();
        args.set("id", 42);
        assert_eq!(message(Lang::En, "back-to-ticket", Some(&args)), "Back to #42");
    }
}
