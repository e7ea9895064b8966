//! Tags: the disabled ones, and `assign`/`capture` with a size bound.

use std::io::Write;

use liquid::model::{KString, Value as LiquidValue};
use liquid_core::model::ValueView;
use liquid_core::parser::FilterChain;
use liquid_core::runtime::{Renderable, Runtime};
use liquid_core::{
    BlockReflection, Language, ParseBlock, ParseTag, TagBlock, TagReflection, TagTokenIter,
    Template,
};

use super::{memory_limit, BoundedBuffer, MAX_STRING_BYTES};

/// A tag that LiquidJS was told to reject while parsing.
#[derive(Clone)]
pub(super) struct DisabledTag(pub(super) &'static str);

impl TagReflection for DisabledTag {
    fn tag(&self) -> &str {
        self.0
    }

    fn description(&self) -> &str {
        "disabled"
    }
}

impl ParseTag for DisabledTag {
    fn parse(
        &self,
        _arguments: TagTokenIter<'_>,
        _options: &Language,
    ) -> liquid_core::Result<Box<dyn Renderable>> {
        Err(liquid_core::Error::with_msg(format!(
            "tag \"{}\" is disabled",
            self.0
        )))
    }

    fn reflection(&self) -> &dyn TagReflection {
        self
    }
}

/// `{% assign name = value | filters %}`, refusing values over the size bound.
#[derive(Clone)]
pub(super) struct BoundedAssign;

impl TagReflection for BoundedAssign {
    fn tag(&self) -> &str {
        "assign"
    }

    fn description(&self) -> &str {
        "assigns a value to a variable"
    }
}

impl ParseTag for BoundedAssign {
    fn parse(
        &self,
        mut arguments: TagTokenIter<'_>,
        options: &Language,
    ) -> liquid_core::Result<Box<dyn Renderable>> {
        let name = arguments
            .expect_next("Identifier expected.")?
            .expect_identifier()
            .into_result()?;
        let name = KString::from_ref(name);
        arguments
            .expect_next("Assignment operator \"=\" expected.")?
            .expect_str("=")
            .into_result_custom_msg("Assignment operator \"=\" expected.")?;
        let value = arguments
            .expect_next("FilterChain expected.")?
            .expect_filter_chain(options)
            .into_result()?;
        arguments.expect_nothing()?;
        Ok(Box::new(Assign { name, value }))
    }

    fn reflection(&self) -> &dyn TagReflection {
        self
    }
}

#[derive(Debug)]
struct Assign {
    name: KString,
    value: FilterChain,
}

impl Renderable for Assign {
    fn render_to(&self, _writer: &mut dyn Write, runtime: &dyn Runtime) -> liquid_core::Result<()> {
        let value = self.value.evaluate(runtime)?.into_owned();
        if size_of(&value) > MAX_STRING_BYTES {
            return Err(memory_limit());
        }
        runtime.set_global(self.name.clone(), value);
        Ok(())
    }
}

/// Roughly how many bytes a value takes when rendered.
fn size_of(value: &dyn ValueView) -> usize {
    if let Some(array) = value.as_array() {
        array.values().map(size_of).sum()
    } else if let Some(object) = value.as_object() {
        object.iter().map(|(k, v)| k.len() + size_of(v)).sum()
    } else {
        value.to_kstr().len()
    }
}

/// `{% capture name %}…{% endcapture %}`, into a bounded buffer.
#[derive(Clone)]
pub(super) struct BoundedCapture;

impl BlockReflection for BoundedCapture {
    fn start_tag(&self) -> &str {
        "capture"
    }

    fn end_tag(&self) -> &str {
        "endcapture"
    }

    fn description(&self) -> &str {
        "captures rendered text into a variable"
    }
}

impl ParseBlock for BoundedCapture {
    fn parse(
        &self,
        mut arguments: TagTokenIter<'_>,
        mut block: TagBlock<'_, '_>,
        options: &Language,
    ) -> liquid_core::Result<Box<dyn Renderable>> {
        let name = arguments
            .expect_next("Identifier expected")?
            .expect_identifier()
            .into_result()?;
        let name = KString::from_ref(name);
        arguments.expect_nothing()?;
        let body = Template::new(block.parse_all(options)?);
        Ok(Box::new(Capture { name, body }))
    }

    fn reflection(&self) -> &dyn BlockReflection {
        self
    }
}

#[derive(Debug)]
struct Capture {
    name: KString,
    body: Template,
}

impl Renderable for Capture {
    fn render_to(&self, _writer: &mut dyn Write, runtime: &dyn Runtime) -> liquid_core::Result<()> {
        let mut captured = BoundedBuffer::default();
        let rendered = self.body.render_to(&mut captured, runtime);
        if captured.exceeded {
            return Err(memory_limit());
        }
        rendered?;
        let text = String::from_utf8_lossy(&captured.bytes).into_owned();
        runtime.set_global(self.name.clone(), LiquidValue::scalar(text));
        Ok(())
    }
}
