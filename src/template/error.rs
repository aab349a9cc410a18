//! Errors of compiling or rendering a chat template.

/// What failed, and where in the template when minijinja knows the line.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The template source does not parse.
    #[error("chat template does not compile{}: {message}", at_line(*line))]
    Compile {
        message: String,
        line: Option<usize>,
    },
    /// The template called `raise_exception(message)`: it rejects the
    /// conversation (e.g. roles that do not alternate).
    #[error("chat template raised an exception{}: {message}", at_line(*line))]
    Raised {
        message: String,
        line: Option<usize>,
    },
    /// Rendering failed for another reason (unknown filter, bad operand, ...).
    #[error("chat template failed to render{}: {message}", at_line(*line))]
    Render {
        message: String,
        line: Option<usize>,
    },
}

fn at_line(line: Option<usize>) -> String {
    line.map(|l| format!(" at line {l}")).unwrap_or_default()
}

/// The error `raise_exception` returns, attached as the minijinja error's
/// source so [`TemplateError::Raised`] can be told apart from engine errors.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Raised(pub String);

impl TemplateError {
    pub(crate) fn compile(err: &minijinja::Error) -> Self {
        TemplateError::Compile {
            message: describe(err),
            line: err.line(),
        }
    }

    pub(crate) fn render(err: &minijinja::Error) -> Self {
        let line = err.line();
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
        while let Some(e) = source {
            if let Some(raised) = e.downcast_ref::<Raised>() {
                return TemplateError::Raised {
                    message: raised.0.clone(),
                    line,
                };
            }
            source = e.source();
        }
        TemplateError::Render {
            message: describe(err),
            line,
        }
    }

    /// The template line the error points at, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            TemplateError::Compile { line, .. }
            | TemplateError::Raised { line, .. }
            | TemplateError::Render { line, .. } => *line,
        }
    }
}

/// The kind and detail of a minijinja error, without its location (which the
/// variants carry separately).
fn describe(err: &minijinja::Error) -> String {
    match err.detail() {
        Some(detail) => format!("{}: {detail}", err.kind()),
        None => err.kind().to_string(),
    }
}
