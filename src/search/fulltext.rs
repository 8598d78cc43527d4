//! What someone typed to look for in the text of tickets, as an FTS5 query that can be
//! nothing but words, phrases and prefixes.

use crate::error::Error;

/// The most words one text to look for may hold: every word is a lookup in the full-text
/// index, and nobody types more to find a ticket.
pub const MAX_WORDS: usize = 32;

/// The full-text query for what someone typed: every word must occur (`printer toner`),
/// `"a phrase"` as written, `word*` as a prefix. Anything else FTS5 would read as syntax
/// is dropped, so no text can be a syntax error or reach another column. An error when no
/// word is left, or more than [`MAX_WORDS`].
pub fn fts_query(text: &str) -> Result<String, Error> {
    let mut terms = Vec::new();
    let mut count = 0;
    for (n, part) in text.split('"').enumerate() {
        let phrase = n % 2 == 1;
        let words: Vec<String> = part
            .split(|c: char| !(c.is_alphanumeric() || c == '*' || c == '_'))
            .filter_map(|w| {
                let prefix = w.ends_with('*') && !phrase;
                let word: String = w.chars().filter(|c| c.is_alphanumeric() || *c == '_').collect();
                (!word.is_empty()).then(|| format!("\"{word}\"{}", if prefix { "*" } else { "" }))
            })
            .collect();
        count += words.len();
        if count > MAX_WORDS {
            return Err(Error::Invalid(format!(
                "`{}` has more than {MAX_WORDS} words to look for; look for fewer",
                super::tokens::shorten(text)
            )));
        }
        if words.is_empty() {
            continue;
        }
        if phrase {
            let inner: Vec<String> = words.iter().map(|w| w.trim_matches('"').to_string()).collect();
            terms.push(format!("\"{}\"", inner.join(" ")));
        } else {
            terms.extend(words);
        }
    }
    if terms.is_empty() {
        return Err(Error::Invalid(format!(
            "`{}` has no word to look for",
            super::tokens::shorten(text)
        )));
    }
    Ok(terms.join(" AND "))
}

/// The full-text query matching any of several texts (`Content IN ('toner', 'paper
/// jam')`): one query for the index, not one lookup per text.
pub fn fts_any<'a>(texts: impl IntoIterator<Item = &'a str>) -> Result<String, Error> {
    let queries = texts.into_iter().map(fts_query).collect::<Result<Vec<_>, _>>()?;
    Ok(match queries.as_slice() {
        [one] => one.clone(),
        many => many.iter().map(|q| format!("({q})")).collect::<Vec<_>>().join(" OR "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_text_queries_are_words_phrases_and_prefixes_only() {
        assert_eq!(fts_query("printer toner").unwrap(), "\"printer\" AND \"toner\"");
        assert_eq!(
            fts_query("\"paper jam\" print*").unwrap(),
            "\"paper jam\" AND \"print\"*"
        );
        assert_eq!(
            fts_query("a OR b) NEAR(").unwrap(),
            "\"a\" AND \"OR\" AND \"b\" AND \"NEAR\""
        );
        assert_eq!(fts_query("'); DROP --").unwrap(), "\"DROP\"");
        assert!(fts_query("*** --").unwrap_err().to_string().contains("no word"));
    }

    #[test]
    fn too_many_words_are_refused_and_lists_are_one_query() {
        let many = vec!["w"; MAX_WORDS + 1].join(" ");
        assert!(fts_query(&many).unwrap_err().to_string().contains("more than 32 words"));
        assert!(fts_query(&vec!["w"; MAX_WORDS].join(" ")).is_ok());
        assert_eq!(
            fts_any(["toner", "\"paper jam\""]).unwrap(),
            "(\"toner\") OR (\"paper jam\")"
        );
        assert_eq!(fts_any(["toner"]).unwrap(), "\"toner\"");
    }
}
