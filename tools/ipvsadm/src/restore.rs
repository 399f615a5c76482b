//! `-R`: the command lines on stdin, split into words as ipvsadm 1.31's
//! `config_stream_read` splits them (an `fscanf` of a word and the blank
//! after it, in a loop), quirks included:
//!
//! - words are runs of anything but blank, tab, CR and newline (no
//!   quoting, and no comments: "#" is a word like any other), cut into
//!   pieces of 4096 bytes;
//! - a word "ipvsadm" is dropped wherever it stands, so that lines may
//!   start with the program's name;
//! - a line ends at a newline only;
//! - where the input ends after two blanks (or any blank that does not
//!   follow a word) without a newline, that last line is dropped.
//!
//! Lines are read one at a time, each run before the next is read, as
//! upstream does.

use std::io::BufRead;

/// `MAX_LINE_LENGTH`: the longest word `fscanf` takes at once.
const MAX_WORD: usize = 4096;

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The lines of the input, as lists of words.
pub struct Lines<R> {
    input: R,
}

impl<R: BufRead> Lines<R> {
    pub fn new(input: R) -> Self {
        Lines { input }
    }

    /// The next byte, without taking it; `None` at the end (or on a read
    /// error, which ends `fscanf`'s input just the same).
    fn peek(&mut self) -> Option<u8> {
        self.input.fill_buf().ok()?.first().copied()
    }

    fn take(&mut self) {
        self.input.consume(1);
    }

    /// The words of the next line (empty for a blank line), or `None`
    /// where upstream stops reading.
    pub fn next_line(&mut self) -> Option<Vec<String>> {
        let mut words = Vec::new();
        loop {
            match self.peek() {
                // fscanf's EOF: a last line without a newline counts if
                // it had words.
                None => return (!words.is_empty()).then_some(words),
                // fscanf matched nothing: upstream skips blanks by hand,
                // and gives up on the whole line at the end of input.
                Some(b) if is_blank(b) => loop {
                    match self.peek() {
                        None => return None,
                        Some(b'\n') => {
                            self.take();
                            return Some(words);
                        }
                        Some(b) if is_blank(b) => self.take(),
                        Some(_) => break,
                    }
                },
                Some(_) => {
                    let mut word = Vec::new();
                    while let Some(b) = self.peek().filter(|&b| !is_blank(b)) {
                        if word.len() == MAX_WORD {
                            break;
                        }
                        word.push(b);
                        self.take();
                    }
                    // A C string ends at its first NUL.
                    let end = word.iter().position(|&b| b == 0).unwrap_or(word.len());
                    let word = String::from_utf8_lossy(&word[..end]).into_owned();
                    if word != "ipvsadm" {
                        words.push(word);
                    }
                    // The blank after the word, if any.
                    if let Some(b) = self.peek().filter(|&b| is_blank(b)) {
                        self.take();
                        if b == b'\n' {
                            return Some(words);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line `input` gives, up to where reading stops.
    fn lines(input: &str) -> Vec<Vec<String>> {
        let mut lines = Lines::new(input.as_bytes());
        std::iter::from_fn(|| lines.next_line()).collect()
    }

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn words_and_lines() {
        assert_eq!(
            lines("-A -t 10.0.0.1:80 -s rr\n-a\t-t 10.0.0.1:80  -r 10.1.1.1\r\n"),
            [
                words("-A -t 10.0.0.1:80 -s rr"),
                words("-a -t 10.0.0.1:80 -r 10.1.1.1")
            ]
        );
        // Blank lines and leading blanks.
        assert_eq!(lines("\n   \n  -C\n"), [vec![], vec![], words("-C")]);
        // No comments, and "ipvsadm" goes wherever it is.
        assert_eq!(
            lines("ipvsadm -A ipvsadm -t x # note\n"),
            [words("-A -t x # note")]
        );
        assert_eq!(lines("ipvsadm\n-C\n"), [vec![], words("-C")]);
        assert_eq!(lines(""), Vec::<Vec<String>>::new());
    }

    /// How the input may end, as Debian's ipvsadm took it in a guest.
    #[test]
    fn end_of_input() {
        assert_eq!(lines("-C"), [words("-C")]);
        assert_eq!(lines("-L -n "), [words("-L -n")]);
        // Two blanks and no newline: the line is lost.
        assert_eq!(lines("-C\n-L -n  "), [words("-C")]);
        assert_eq!(lines("-C\n  "), [words("-C")]);
        assert_eq!(lines("-C\n -L"), [words("-C"), words("-L")]);
        assert_eq!(lines("ipvsadm"), Vec::<Vec<String>>::new());
    }

    #[test]
    fn long_words_in_pieces() {
        let long = "a".repeat(MAX_WORD + 5);
        let got = lines(&format!("{long} b\n"));
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].iter().map(String::len).collect::<Vec<_>>(),
            [MAX_WORD, 5, 1]
        );
    }
}
