//! The one way to walk a whole store: keyset pages ordered by (account, region, id), one page size
//! for every caller. A walk resumed from a cursor never repeats or skips a row that was there the
//! whole time, and a page costs the same wherever it is (no OFFSET).

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use certgate_core::{CertificateId, Scope};

use crate::{Result, Store};

/// Rows per page of every walk over the whole store: few enough round trips for 100,000 rows, and
/// a page of sealed keys (about 2 KiB a row) held for a moment stays under a megabyte and a half.
pub const SCAN_PAGE: u32 = 500;

/// Where a scan over every scope stands: the key of the last row returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanCursor {
    pub scope: Scope,
    pub id: CertificateId,
}

/// A future giving one page of a scan.
pub type Page<'a, R> = Pin<Box<dyn Future<Output = Result<Vec<R>>> + Send + 'a>>;

/// A row type that a whole-store scan returns: it names its own place in the keyset order and the
/// store method that reads a page of it.
pub trait Scanned: Sized + Send + 'static {
    fn cursor(&self) -> ScanCursor;
    fn page<'a>(store: &'a dyn Store, after: Option<&'a ScanCursor>, limit: u32) -> Page<'a, Self>;
}

/// A walk over every row of one kind, page by page:
///
/// ```text
/// let mut scan = Scan::<ScopedCertificate>::new();
/// while let Some(page) = scan.next_page(store).await? { … }
/// ```
pub struct Scan<R> {
    after: Option<ScanCursor>,
    page_size: u32,
    done: bool,
    rows: PhantomData<fn() -> R>,
}

impl<R: Scanned> Default for Scan<R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R: Scanned> Scan<R> {
    pub fn new() -> Self {
        Self::with_page_size(SCAN_PAGE)
    }

    /// A walk in pages of another size: for tests that need many pages from a few rows.
    pub fn with_page_size(page_size: u32) -> Self {
        Scan {
            after: None,
            page_size: page_size.max(1),
            done: false,
            rows: PhantomData,
        }
    }

    /// The next page, or `None` once every row has been returned. A short page is the last, so a
    /// walk costs no query for an empty page at its end.
    pub async fn next_page(&mut self, store: &dyn Store) -> Result<Option<Vec<R>>> {
        if self.done {
            return Ok(None);
        }
        let page = R::page(store, self.after.as_ref(), self.page_size).await?;
        self.done = page.len() < self.page_size as usize;
        match page.last() {
            Some(last) => {
                self.after = Some(last.cursor());
                Ok(Some(page))
            }
            None => Ok(None),
        }
    }
}
