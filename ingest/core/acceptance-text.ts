// Does a reply's own text say the patch (or series) was applied? Conservative on purpose: a missed
// acceptance costs a day's delay until the patch shows up in a tree; a false one marks a fix as landed.

// A sentence that reports the act, in the past tense, at its start: "Applied, thanks.", "Applied to
// amd-iommu/fixes, thanks.", "Thanks, applied.", "I've queued this up for 2.6.35", "Merged.",
// "Pulled, thanks.", "Patch applied.", "Both applied to kexec-tools."
const ACT = '(?:applied|queued|merged|pulled|picked[ \\t]+up)';
const POLITE = '(?:(?:ok(?:ay)?|thanks(?:[ \\t]+a[ \\t]+lot)?|thank[ \\t]+you|great|good|nice|looks[ \\t]+good|lgtm)[ \\t]*[,!.:;-]*[ \\t]*)';
const SUBJECT = '(?:(?:i\'ve|i[ \\t]+have|we\'ve|we[ \\t]+have|(?:the[ \\t]+)?(?:whole[ \\t]+)?(?:patch(?:es|set)?|series)|both|all(?:[ \\t]+\\w+)?)[ \\t]+(?:(?:is|are|has[ \\t]+been|have[ \\t]+been|now|just|finally)[ \\t]+)?)';
const ACT_WORD_RE = /applied|queued|merged|pulled|picked/i;
const POSITIVE_RE = new RegExp(`^${POLITE}*(?:now[ \\t]+)?${SUBJECT}?${ACT}\\b`, 'i');

// Anything that turns the sentence into a question, a condition, a plan, a refusal or a tester's report.
const DISQUALIFIER_RE =
  /\?|\b(?:not|never|no longer|cannot|unless|if|once|when|after|should|would|could|will|shall|please|locally|local|cleanly|test(?:ed|ing)?|boots?|booted|works?|worked|fails?|failed|breaks?|broke|builds?|compiles?|revert(?:ed)?|drop(?:ped)?|tomorrow|later|soon)\b|n't\b/i;

// "On Mon, 1 Jun 2009, X wrote:", "X <x@y> writes:", "Quoting X (date):"
const ATTRIBUTION_RE = /(?:\b(?:wrote|writes|said|schrieb|escribió|a écrit)|^quoting\b.*)\s*:\s*$/i;

/**
 * True when the author's own (unquoted) text says the patch or series was applied, queued or merged.
 * False for plans ("I'll apply this after ..."), requests ("can you resend so I can apply"), refusals
 * ("Not applied", "Please don't apply"), questions, and anything only inside quotes.
 *
 * @example saysApplied('On Thu, X wrote:\n> patch\n\nApplied to amd-iommu/fixes, thanks.') // true
 * @example saysApplied("I'll apply this after the merge window.") // false
 */
export function saysApplied(ownText: string): boolean {
  // most text names no act at all: no sentence of it can say one was done
  if (!ownText || !ACT_WORD_RE.test(ownText)) return false;
  for (const sentence of sentences(ownText)) {
    if (POSITIVE_RE.test(sentence) && !DISQUALIFIER_RE.test(sentence)) return true;
  }
  return false;
}

/** Unquoted paragraphs, lines joined, cut into sentences at ., ! or ? followed by whitespace. */
function sentences(text: string): string[] {
  const out: string[] = [];
  let para: string[] = [];
  const flush = () => {
    if (!para.length) return;
    const joined = para.join(' ').replace(/[‘’]/g, "'");
    for (const s of joined.split(/(?<=[.!?])\s+/)) {
      const t = s.trim();
      if (t) out.push(t);
    }
    para = [];
  };
  for (const raw of text.split('\n')) {
    const untrimmed = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (untrimmed === '-- ' || untrimmed === '--') break; // the signature follows
    const line = untrimmed.trim();
    if (line.startsWith('>')) { flush(); continue; }
    if (line === '') { flush(); continue; }
    if (ATTRIBUTION_RE.test(line)) { flush(); continue; }
    para.push(line);
  }
  flush();
  return out;
}
