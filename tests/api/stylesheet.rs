//! `static/app.css` read by a real CSS parser (cssparser, Servo's tokenizer and rule parser): a
//! block left open, a rule the parser drops, a declaration without its colon or a rule pasted
//! inside another fails here instead of silently restyling every page after it.

use cssparser::{
    AtRuleParser, CowRcStr, DeclarationParser, ParseError, Parser, ParserState,
    QualifiedRuleParser, RuleBodyItemParser, RuleBodyParser, StyleSheetParser,
};

/// The at-rules the stylesheet uses: each holds style rules.
const AT_RULES: [&str; 2] = ["media", "supports"];

/// Collects what is wrong, with the line it starts on (1-based).
#[derive(Default)]
struct Checker {
    problems: Vec<String>,
}

impl Checker {
    fn problem(&mut self, line: u32, what: impl std::fmt::Display) {
        self.problems.push(format!("line {}: {what}", line + 1));
    }

    /// A block's contents were read up to its end: the next character must be its `}`. A block
    /// never closed runs to the end of the file (and swallows every rule after it).
    fn closed(&mut self, source: &str, start: &ParserState, input: &mut Parser) {
        let end = input.position().byte_index();
        if source.as_bytes().get(end) != Some(&b'}') {
            self.problem(start.source_location().line, "block never closed");
        }
    }

    fn style_rules(&mut self, source: &str, input: &mut Parser) {
        let mut body = Body {
            checker: self,
            source,
        };
        let errors: Vec<_> = StyleSheetParser::new(input, &mut body)
            .filter_map(Result::err)
            .collect();
        for (e, text, at) in errors {
            self.problem(at.line, format!("{:?} in {text:?}", e.kind));
        }
    }
}

/// Rules at the top level or inside an at-rule.
struct Body<'c, 's> {
    checker: &'c mut Checker,
    source: &'s str,
}

impl<'i> QualifiedRuleParser<'i> for Body<'_, '_> {
    type Prelude = ();
    type QualifiedRule = ();
    type Error = ();

    fn parse_prelude(&mut self, input: &mut Parser<'i>) -> Result<(), ParseError<()>> {
        while input.next().is_ok() {}
        Ok(())
    }

    fn parse_block(
        &mut self,
        _: (),
        start: &ParserState,
        input: &mut Parser<'i>,
    ) -> Result<(), ParseError<()>> {
        let mut decls = Declarations;
        let errors: Vec<_> = RuleBodyParser::new(input, &mut decls)
            .filter_map(Result::err)
            .collect();
        for (e, text, at) in errors {
            self.checker
                .problem(at.line, format!("{:?} in {text:?}", e.kind));
        }
        self.checker.closed(self.source, start, input);
        Ok(())
    }
}

impl<'i> AtRuleParser<'i> for Body<'_, '_> {
    type Prelude = ();
    type AtRule = ();
    type Error = ();

    fn parse_prelude(
        &mut self,
        name: CowRcStr<'i>,
        input: &mut Parser<'i>,
    ) -> Result<(), ParseError<()>> {
        if !AT_RULES.contains(&&*name) {
            return Err(ParseError::custom(()));
        }
        while input.next().is_ok() {}
        Ok(())
    }

    fn parse_block(
        &mut self,
        _: (),
        start: &ParserState,
        input: &mut Parser<'i>,
    ) -> Result<(), ParseError<()>> {
        let source = self.source;
        self.checker.style_rules(source, input);
        self.checker.closed(source, start, input);
        Ok(())
    }
}

/// The declarations of a style rule: `name: value`, the value without a block (a rule pasted
/// into another, or a missing `}`, reads as one). Nested rules are not used, so they are errors.
struct Declarations;

impl<'i> DeclarationParser<'i> for Declarations {
    type Declaration = ();
    type Error = ();

    fn parse_value(
        &mut self,
        name: CowRcStr<'i>,
        input: &mut Parser<'i>,
        _: &ParserState,
    ) -> Result<(), ParseError<()>> {
        let well_named = name.starts_with("--")
            || name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit());
        if !well_named {
            return Err(ParseError::custom(()));
        }
        let mut tokens = 0;
        while let Ok(t) = input.next() {
            if matches!(t, cssparser::Token::CurlyBracketBlock) {
                return Err(ParseError::custom(()));
            }
            tokens += 1;
        }
        if tokens == 0 {
            return Err(ParseError::custom(()));
        }
        Ok(())
    }
}

impl<'i> AtRuleParser<'i> for Declarations {
    type Prelude = ();
    type AtRule = ();
    type Error = ();
}

impl<'i> QualifiedRuleParser<'i> for Declarations {
    type Prelude = ();
    type QualifiedRule = ();
    type Error = ();
}

impl<'i> RuleBodyItemParser<'i, (), ()> for Declarations {
    fn parse_declarations(&self) -> bool {
        true
    }
    fn parse_qualified(&self) -> bool {
        false
    }
}

fn problems(css: &str) -> Vec<String> {
    let mut parser = Parser::new(css);
    let mut checker = Checker::default();
    checker.style_rules(css, &mut parser);
    checker.problems
}

#[test]
fn the_stylesheet_parses_without_a_problem() {
    let css = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/static/app.css"))
        .expect("static/app.css");
    let found = problems(&css);
    assert!(found.is_empty(), "static/app.css: {found:#?}");
}

#[test]
fn the_check_finds_an_unclosed_block_and_broken_rules() {
    let open_media = "a { color: red; }\n@media (max-width: 640px) {\n  b { color: red; }\n.kpis { display: grid; }\n";
    assert_eq!(problems(open_media), ["line 2: block never closed"]);
    let open_rule = "a { color: red;\nb { color: blue; }\n";
    assert!(!problems(open_rule).is_empty(), "a rule inside a rule");
    let no_colon = "a { color red; }\n";
    assert!(
        !problems(no_colon).is_empty(),
        "a declaration without a colon"
    );
    let empty = "a { color: ; }\n";
    assert!(!problems(empty).is_empty(), "an empty value");
    let unknown = "@medai (max-width: 1px) { a { color: red; } }\n";
    assert!(!problems(unknown).is_empty(), "a misspelt at-rule");
    let fine = "a { color: red; }\n@media print { a { color: #000; } }\n:root { --x: 1px; }\n";
    assert_eq!(problems(fine), Vec::<String>::new());
}
