// Does a reply's own text say that the patch (or series) it answers was taken into a tree? Pure.
// Hand-written because no library reads maintainers' English: the rules are a small grammar of the sentence
// that reports the act, general on purpose (other lists phrase it their own way), never a list of sentences.
//
// A statement is a clause whose verb is a past participle of taking a patch (applied, queued, merged, pulled,
// pushed, committed, picked up, taken/took with a patch as object) and whose
// - subject is the speaker ("I've applied it"), left out ("Applied, thanks", "Modified and applied", "Thanks
//   David, applied"), or the patch in the passive ("The patch was applied to the devel branch", "your patch has
//   been queued for 1.6.7", "stuff is queued in tip:x86/boot now", "Series applied to net-next");
// - tense is past or present perfect: no modal or future ("will apply", "I'll queue", "can be applied once"),
//   no infinitive ("to be merged"), no question (the sentence ends in "?"), no request ("please", "could you");
// - polarity is positive: no "not", "n't", "never", "no longer" before the verb, no later "I dropped/reverted it";
// - clause is a main clause: not under "if", "when", "once", "after", "before", "until", "unless", "since",
//   "with" ("with your patch applied" is a tester), nor a relative clause ("which was merged") about another
//   patch, nor an existential ("there are changes queued up");
// - object, when the speaker is the subject, is the patch at hand ("it", "this", "the patch", "your V2", "the
//   series", "patches 1-3", "the first 10 patches"), not another one ("a patch that generalizes it", "makedumpfile");
// - sense is taking, not applying onto a base to try it: no tester's words in the sentence (tested, boots, works,
//   fails, locally, cleanly ...) and no release as the target ("applied your patches to 5.4.17").
// A past act of the speaker's before the taking counts too ("Fixed that up before applying it").
// Quoted lines, attribution lines, signatures, mailing-list footers and an unquoted original below an Outlook
// "From:"/"Sent:" block are not the author's words.
// Scope: the answered patch or series, or only the patches the sentence names ("applied 1-3", "queued 4-11",
// "the first 10 patches", "patches 2 and 4"), minus those it excepts ("apart from patches 6 and 7").

/** What a reply says was taken, and where. */
export interface AcceptanceStatement {
  /** series indexes named ("applied 1-3"); null: the patch answered (the whole series when it answers a cover) */
  indexes: number[] | null;
  /** whether the words name the whole series ("series applied", "applied the rest", "all applied") */
  series: boolean;
  /** series indexes excepted ("apart from patches 6 and 7") */
  except: number[];
  /** the tree (or tree and branch) named: "powerpc/next", "tip:x86/boot", "arm64 (for-next/ptr-auth)" */
  tree: string | null;
  branch: string | null;
  /** a commit id the reply gives (from a commit URL or "commit <sha>") */
  commit: string | null;
  url: string | null;
  /** the sentence the decision rests on */
  sentence: string;
}

const ACT_RE = /\b(applied|queued|merged|pulled|pushed|committed|picked|taken|took|added)\b/gi;
const ACT_END_RE = /\S+$/;
const MAX_SENTENCE = 1000;
const MAX_VERBS = 8;
const ACT_WORD_RE = /\b(?:applied|queued|merged|pulled|pushed|committed|picked|taken|took|added|applying|queueing|queuing|merging|committing)\b/i;

// the clause before the verb is cut at the last clause boundary
const BOUNDARY_RE = /(?:[,;:(]|\s--?\s|\s(?:and|but|so|then|also)\s)/gi;
const POLITE_RE =
  /^(?:(?:ok(?:ay)?|yes|hi|hello|thanks?(?:\s+(?:you|a lot|again|much))*|thx|great|good|nice|fine|sure|cool|lgtm|looks\s+(?:good|fine)(?:\s+to\s+me)?|now|so|and|then|also|finally|anyway|meanwhile|tentatively|already|just|as|because|in the meantime|sorry[^,]*)\b[\s,!.:-]*)+/i;
// words of a modal, future, infinitive, conditional or subordinate frame (before the verb, in its clause)
const FRAME_RE =
  /\b(?:will|shall|would|should|could|can|cannot|may|might|must|going\s+to|want(?:s|ed)?\s+to|need(?:s|ed)?\s+to|to\s+be|to\s+get|to\s+have|please|if|when|whenever|once|after|before|until|till|unless|since|while|with|without|whether|which|that|who|where|there|here|not|never|no|nothing|nobody|hardly|yet)\b|n't\b|'ll\b|'d\b/i;
const SPEAKER_RE = /^(?:i|we)(?:'ve|'m|\s+have|\s+had|\s+am|\s+are)?(?:\s+(?:now|just|already|also|finally|tentatively|actually|meanwhile|only|then|since|both|all|really))*$/i;
const AUX_RE = /(?:(?:^|\s+)(?:is|are|was|were|has\s+been|have\s+been|had\s+been|got|gets|has|have|'s|'re|now|just|already|also|finally|tentatively|all|both|separately))*$/i;
const PATCH_NOUN = '(?:patch(?:es|set|series)?|series|change(?:set)?s?|fix(?:es)?|commits?|stuff|version|v\\d+|one|ones|bits|work|cleanups?|updates?|all|both|rest|two|three|four|five|six|seven|eight|nine|ten|\\d{1,3})';
const DETERMINER = '(?:the|this|that|these|those|your|his|her|their|both|all|first|last|whole|entire|above|remaining|rest)';
// a patch as passive subject: "the patch", "your patch", "series", "it", "this", "stuff", "both"
const NUMBERS = '#?\\d{1,3}(?:\\s*(?:-|–|to|through|,|and|&)\\s*#?\\d{1,3})*';
const PASSIVE_SUBJECT_RE = new RegExp(
  `^(?:(?:${DETERMINER}|\\w+'s)\\s+)*(?:[\\w-]+\\s+){0,2}?${PATCH_NOUN}$|^(?:it|this|they|these|both|all|the\\s+lot)$|^(?:patch(?:es)?\\s+)?${NUMBERS}$`, 'i');
// "added the patch (titled ...) to my driver-core tree"
const ADDED_RE = /^\s+(?:the|this|that|your|these|both)\s+(?:[\w-]+\s+){0,2}?(?:patch(?:es)?|series|commits?|fix(?:es)?)\b[^.;]*?\b(?:to|into)\s+(?:my|the|our)?\s*(?:[\w./:-]+\s+){1,3}(?:tree|branch|queue|repo(?:sitory)?)\b/i;
// the object after the verb, when the speaker is the subject
const OBJECT_OK_RE = new RegExp(
  `^(?:(?:it|this|that|them|these|those|both|all)\\b|(?:${DETERMINER}\\s+)(?:[\\w-]+\\s+){0,3}?${PATCH_NOUN}\\b|${PATCH_NOUN}\\s+#?\\d|(?:patch(?:es)?\\s+)?#?\\d+\\s*(?:-|–|to|through|,|and)\\s*#?\\d+|v\\d+\\b|(?:up|in|out)\\b|(?:to|into|in|on|for|via|through|as|with|here|now|already|separately|locally|upstream|thanks|thank|,|\\.|!|:|\\(|\\[|$))`,
  'i',
);
const GERUND_RE =
  /^(?:i(?:'ve|\s+have)?\s+)?(?:\w+ed)\b[^,;:]*?\bbefore\s+(?:applying|queueing|queuing|merging|committing|pushing|picking)\s+(?:it|this|them|these|the\s+(?:patch|series|change)\w*|your\s+\w+)\b/i;
// the speaker tried the patch rather than took it
const TESTER_RE =
  /(?<![\w/:.-])(?:test(?:s|ed|ing)?|tried|boots?|booted|booting|works?|worked|working|fails?|failed|failures?|breaks?|broke|builds?|built|compiles?|compiled|reproduc\w*|cleanly|clearly|locally|successfully|smoothly|conflicts?|problem\s+solved|disappeared|gone|for\s+me|hunk|offsets?|fuzz)(?![\w/-])/i;
// applying onto a release to try it: "applied your patches to 5.4.17", "applied to v5.6-rc4"
const ONTO_RELEASE_RE = /^(?:[^,.;]*?\s)?(?:to|on|onto|against|on\s+top\s+of)\s+(?:the\s+)?(?:linux[- ]?|kernel\s+|v)?\d+\.\d+/i;
// history, not the act: "was merged upstream long ago", "is merged already", "merged into v4.20-rc2"
const HISTORY_RE = /\b(?:ago|already|upstream|mainline|long\s+time|years?|back\s+in)\b|^\s*(?:into|in)\s+(?:v|linux[- ]?)?\d+\.\d+/i;
// a retraction by the speaker: "I dropped it again", "so I've reverted the patch", "Dropped."
const RETRACT_RE =
  /\b(?:i|we)(?:'ve|'d|\s+have|\s+had)?\s+(?:\w+\s+)?(?:dropped|reverted|unapplied|un-applied|backed\s+out|removed)\s+(?:it|this|them|that|these|the\s+(?:patch|series|change)\w*|your\s+\w+)\b|(?:^|[.!;]\s+)(?:dropped|reverted|unapplied)\b/i;
const NUMBER_WORDS: Record<string, number> = { two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12 };

// "On Mon, 1 Jun 2009, X wrote:", "X <x@y> writes:", "Quoting X (date):"
const ATTRIBUTION_RE = /(?:\b(?:wrote|writes|said|schrieb|escribió|a écrit)|^quoting\b.*)\s*:\s*$/i;
// a mailing-list footer starts with a rule of underscores (mailman) or dashes and a list name
const FOOTER_RE = /^_{10,}\s*$|^-{5,}\s*original message\s*-{5,}$/i;
const COMMIT_URL_RE = /(https?:\/\/\S{1,300}?\/(?:c|commit|ci|-\/commit)\/(?:\?id=)?([0-9a-f]{7,40}))\b\/?/i;
const COMMIT_WORD_RE = /\bcommit\s+([0-9a-f]{10,40})\b/i;

/**
 * The acceptance the author's own (unquoted) text states, or null. See the module comment for the grammar.
 *
 * @example readAcceptance('Applied to powerpc/next, thanks.')?.tree // 'powerpc/next'
 * @example readAcceptance("I'll apply this after the merge window.") // null
 */
export function readAcceptance(ownText: string): AcceptanceStatement | null {
  // most text names no act at all: no sentence of it can state one
  if (!ownText || !ACT_WORD_RE.test(ownText)) return null;
  const sents = sentences(ownText);
  let found: AcceptanceStatement | null = null;
  for (let i = 0; i < sents.length && !found; i++) {
    const s = sents[i];
    const at = statedAct(s);
    if (at === null) continue;
    const rest = sents.slice(i + 1).join(' ');
    if (RETRACT_RE.test(s.slice(at)) || RETRACT_RE.test(rest)) return null;
    const after = s.slice(at);
    const scope = scopeOf(after);
    const where = treeOf(after);
    found = { indexes: scope.indexes, series: scope.series, except: scope.except, tree: where.tree, branch: where.branch, commit: null, url: null, sentence: s };
    // "Patches 1-3 applied": the words before the verb name the patches
    const before = NUMBERS_BEFORE_RE.exec(s.slice(0, at).replace(ACT_END_RE, ''));
    if (found.indexes === null && before) found.indexes = numbersOf(before[1]);
    // "Series applied", "Both applied", "I have applied this series": the words before the verb name the series
    if (/\b(?:series|patch\s*set|patchset|both|all|whole\s+lot)\s+(?:(?:is|are|was|were|has|have|been|now|just)\s+)*$/i.test(s.slice(0, at).replace(ACT_END_RE, ''))) found.series = true;
    // "apart from patches 6 and 7" may come in the next sentence
    if (!found.except.length && sents[i + 1]) found.except = exceptOf(sents[i + 1]);
  }
  if (!found) return null;
  const url = COMMIT_URL_RE.exec(ownText);
  if (url) { found.url = url[1]; found.commit = url[2].toLowerCase(); }
  else { const c = COMMIT_WORD_RE.exec(found.sentence); if (c) found.commit = c[1].toLowerCase(); }
  return found;
}

/** True when the author's own text states that the patch or series was taken ({@link readAcceptance}). */
export function saysApplied(ownText: string): boolean {
  return readAcceptance(ownText) !== null;
}

/** Where in the sentence the stated act's verb ends, or null when no clause of it states one. */
function statedAct(sentence: string): number | null {
  // nobody reports taking a patch in a sentence of pages; and each verb costs a pass over the sentence
  if (sentence.length > MAX_SENTENCE || /\?\s*$/.test(sentence) || TESTER_RE.test(sentence)) return null;
  // a past act of the speaker's before taking it: "Fixed that up before applying it", "I reworded it before queueing it"
  const gerund = GERUND_RE.exec(sentence.replace(POLITE_RE, ''));
  if (gerund) return sentence.length - sentence.replace(POLITE_RE, '').length + gerund.index + gerund[0].length;
  ACT_RE.lastIndex = 0;
  let verbs = 0;
  for (let m = ACT_RE.exec(sentence); m && verbs++ < MAX_VERBS; m = ACT_RE.exec(sentence)) {
    const verb = m[1].toLowerCase();
    const after = sentence.slice(m.index + m[0].length);
    const clause = clauseBefore(sentence.slice(0, m.index));
    if (clause === null) continue;
    const subject = clause.replace(POLITE_RE, '').trim();
    if (FRAME_RE.test(subject) || /^there\b/i.test(subject)) continue;
    // "picked" only as "picked up" / "picked it up"; "taken"/"took" only with a patch as what was taken
    if (verb === 'picked' && !/^\s+(?:(?:it|this|them|these|the\s+\w+)\s+)?up\b/i.test(after)) continue;
    if ((verb === 'taken' || verb === 'took') && !/^\s+(?:it|this|them|these|the\s+(?:patch|series|lot)\w*|your\s+\w+)?\s*(?:in|into|to|via|through|for)\s+(?:my|the|[\w:.-]+\/|[\w-]+\s+tree)/i.test(after)) continue;
    // "added" only as "added the patch ... to my tree"
    if (verb === 'added' && !ADDED_RE.test(after)) continue;
    if (ONTO_RELEASE_RE.test(after)) continue;
    const bare = subject.replace(AUX_RE, '').trim();
    if (bare === '') {
      // "Applied", "Thanks, applied", "Modified and applied": the speaker is understood
      if (/^\s+(?:a|an|another)\s|^\s+(?:to|into|in|on|for)\s*(?:[:;,.]|$)/i.test(after) || !OBJECT_OK_RE.test(after.trim())) continue;
      return m.index + m[0].length;
    }
    if (SPEAKER_RE.test(bare) || SPEAKER_RE.test(subject)) {
      if (!OBJECT_OK_RE.test(after.trim())) continue;
      return m.index + m[0].length;
    }
    if (PASSIVE_SUBJECT_RE.test(bare) && !HISTORY_RE.test(after) && !HISTORY_RE.test(subject)) return m.index + m[0].length;
  }
  return null;
}

/** The clause a verb belongs to: the words after the last clause boundary before it. */
function clauseBefore(prefix: string): string | null {
  let start = 0;
  BOUNDARY_RE.lastIndex = 0;
  for (let m = BOUNDARY_RE.exec(prefix); m; m = BOUNDARY_RE.exec(prefix)) start = m.index + m[0].length;
  const clause = prefix.slice(start).trim();
  // a subordinate clause opened earlier in the sentence ("If it's fine, and applied ...") is not reopened here
  return clause.length > 80 ? null : clause;
}

function numbersOf(list: string): number[] {
  const out: number[] = [];
  for (const part of list.split(/\s*(?:,|\band\b|&|\bor\b)\s*/i)) {
    const r = /^#?(\d{1,3})\s*(?:-|–|to|through)\s*#?(\d{1,3})$/i.exec(part.trim());
    if (r) {
      const a = Number(r[1]), b = Number(r[2]);
      if (a <= b && b - a < 200) for (let n = a; n <= b; n++) out.push(n);
      continue;
    }
    const one = /^#?(\d{1,3})$/.exec(part.trim());
    if (one) out.push(Number(one[1]));
  }
  return out;
}

const LIST = NUMBERS;

// the patches excepted: "apart from patches 6 and 7", "except 3", "all but 2"
const EXCEPT_RE = new RegExp(`\\b(?:apart\\s+from|except(?:\\s+for)?|other\\s+than|(?:all\\s+)?but(?:\\s+not)?|minus|without|excluding|save\\s+for)\\s+(?:for\\s+)?(?:the\\s+)?(?:patch(?:es)?\\s+)?(${LIST})`, 'i');
// the patches named after the verb: "applied 1-3", "queued patches 4 and 5"
const NUMBERS_AFTER_RE = new RegExp(`^\\s*(?:(?:up|the|your)\\s+)?(?:patch(?:es)?\\s+)?(${LIST})\\b(?!\\.\\d)`, 'i');
// the patches named before the verb: "Patches 1-3 applied"
const NUMBERS_BEFORE_RE = new RegExp(`(?:^|[\\s,.:;])(?:patch(?:es)?\\s+)?(${LIST})\\s+(?:(?:is|are|was|were|has|have|been|now|just)\\s+)*$`, 'i');

function exceptOf(text: string): number[] {
  const m = EXCEPT_RE.exec(text);
  return m ? numbersOf(m[1]) : [];
}

/** Which patches the words after the verb name. */
function scopeOf(after: string): Pick<AcceptanceStatement, 'indexes' | 'series' | 'except'> {
  const except = exceptOf(after);
  const first = /^\s*(?:\w+\s+){0,2}?(?:the\s+)?first\s+(\d{1,3}|\w+)\s+(?:patches|ones|of)/i.exec(after);
  if (first) {
    const n = /^\d+$/.test(first[1]) ? Number(first[1]) : NUMBER_WORDS[first[1].toLowerCase()];
    if (n) return { indexes: Array.from({ length: n }, (_, i) => i + 1), series: false, except };
  }
  const named = NUMBERS_AFTER_RE.exec(after);
  if (named) {
    const nums = numbersOf(named[1]);
    if (nums.length) return { indexes: nums, series: false, except };
  }
  const series = /^\s*(?:(?:the|this|your|whole|entire|full)\s+)*(?:rest|remaining|series|patch\s*set|patchset|lot|all)\b/i.test(after);
  return { indexes: null, series, except };
}

/** The tree and branch the words after the verb name: "to powerpc/next", "in tip:x86/boot", "to arm64 (for-next/x)". */
function treeOf(after: string): { tree: string | null; branch: string | null } {
  const m = /^\s*(?:(?:it|this|them|these|the\s+\w+|your\s+\w+)\s+)?(?:(?:up|out)\s+)?(?:separately\s+)?(?:to|into|in|on)\s+(?:the\s+|my\s+|our\s+)?([A-Za-z][\w.+/:-]*)(?:\s+\(([\w.+/-]+)\))?/i.exec(after);
  if (!m || /^v?\d/i.test(m[1])) return { tree: null, branch: null };
  let tree = m[1].replace(/[.:]+$/, '');
  if (/^(?:the|a|my|tree|branch|git|repo|time)$/i.test(tree)) return { tree: null, branch: null };
  let branch = m[2] ?? null;
  const colon = tree.indexOf(':');
  if (!branch && colon > 0) { branch = tree.slice(colon + 1); tree = tree.slice(0, colon); }
  return { tree, branch };
}

/** A paragraph's lines, joined and cut into sentences, onto `out`; the paragraph is emptied. */
function flushParagraph(para: string[], out: string[]): void {
  if (!para.length) return;
  const joined = para.join(' ').replace(/[‘’]/g, "'").replace(/[“”]/g, '"');
  for (const s of joined.split(/(?<=[.!?])\s+|(?<=\.\.)\s*/)) {
    const t = s.trim();
    if (t) out.push(t);
  }
  para.length = 0;
}

/** Unquoted paragraphs, lines joined, cut into sentences at ., ! or ? followed by whitespace. */
function sentences(text: string): string[] {
  const out: string[] = [];
  const para: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const untrimmed = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (untrimmed === '-- ' || untrimmed === '--') break; // the signature follows
    const line = untrimmed.trim();
    if (FOOTER_RE.test(line)) break;
    // Outlook's unquoted original below the answer: "From: X" then "Sent: date"
    if (/^from:\s/i.test(line) && lines.slice(i + 1, i + 4).some((l) => /^\s*sent:\s/i.test(l))) break;
    if (line.startsWith('>') || line.startsWith('|')) { flushParagraph(para, out); continue; }
    if (line === '') { flushParagraph(para, out); continue; }
    if (ATTRIBUTION_RE.test(line)) { flushParagraph(para, out); continue; }
    para.push(line);
  }
  flushParagraph(para, out);
  return out;
}
