// What one message says about patches being taken: a notice. Pure; read once, when the message is parsed.
// Hand-written because each form is a fixed layout of a tool (b4, git request-pull, pr-tracker-bot, tip-bot2,
// the stable scripts) that no library reads; a maintainer's own words go to acceptance-text.ts.
//
// Kinds, the first that fits:
// - pull-merged: pr-tracker-bot's "... has been merged into torvalds/linux.git:" and the commit URL
//   (answering a pull request);
// - commit-notice: a commit bot's mail (tip-bot2: "The following commit has been merged into the BRANCH branch of
//   tip:", then "Commit-ID:", "Gitweb:", "Author:"); names the commit's title (the mail's title) and author; or
//   Greg's "I've just added the patch titled T to my X git tree" (title and author from the mail; a stable queue's
//   such mail, naming the upstream commit, is a stable notice);
// - stable: a stable-tree posting that carries "commit <sha> upstream." or "[ Upstream commit <sha> ]"; names the
//   upstream commit, its title and its author (the body's "From:" line, else the sender);
// - pull-request: `git request-pull` output ("are available in the Git repository at:" then the repository and
//   ref, "for you to fetch changes up to <sha>", and the shortlog: "Author (N):" then indented titles);
// - b4-thanks: b4's thank-you ("Applied to TREE (BRANCH), thanks!" or "Applied, thanks!", then "[i/n] title"
//   lines, each followed by the commit's URL or "commit: <sha>"), or patchwork-bot's ("This series was applied to
//   TREE (BRANCH)", then "- [tags,i/n] title" and the URL): exactly the patches listed;
// - reply: any other reply whose own words state acceptance (acceptance-text.ts).
import type { Address } from './model.ts';
import { readAcceptance, type AcceptanceStatement } from './acceptance-text.ts';

export interface ListedCommit {
  index: number | null;
  total: number | null;
  title: string;
  commit: string | null;
  url: string | null;
}

export type Notice =
  | { kind: 'reply'; statement: AcceptanceStatement }
  | { kind: 'b4-thanks'; tree: string | null; branch: string | null; items: ListedCommit[] }
  | { kind: 'pull-request'; tree: string | null; branch: string | null; head: string | null; shortlog: { author: string; titles: string[] }[] }
  | { kind: 'pull-merged'; tree: string; commit: string | null; url: string | null }
  | { kind: 'commit-notice'; tree: string; branch: string | null; commit: string | null; url: string | null; title: string; author: Address | null }
  | { kind: 'stable'; commit: string; title: string; author: Address | null };

export interface NoticeInput {
  kind: string;
  isPatch: boolean;
  /** the mail's title (subject without Re: and bracket tags) */
  title: string;
  /** the subject as sent: an older commit bot names the branch only there ("[tip:x86/urgent] ...") */
  subject?: string;
  from: Address;
  ownText: string;
}

const SHA = '[0-9a-f]{7,40}';
const PULL_MERGED_RE = /has\s+been\s+merged\s+into\s+([\w.-]{1,100}\/[\w./-]{1,200}?\.git|mainline)\s*:?\s*(?:\n\s*|\s+)(https?:\/\/\S{1,500})?/i;
const COMMIT_ID_RE = new RegExp(`^\\s*Commit-ID:\\s*(${SHA})\\s*$`, 'im');
const TIP_BRANCH_RE = /following\s+commit\s+has\s+been\s+merged\s+into\s+the\s+(\S+)\s+branch\s+of\s+([\w./-]+?)\s*:/i;
const GITWEB_RE = /^\s*Gitweb:\s*(https?:\/\/\S+)/im;
const AUTHOR_LINE_RE = /^\s*Author:\s*(.+?)\s*$/im;
const STABLE_RE = new RegExp(`^\\s*(?:commit\\s+(${SHA})\\s+upstream\\.?|\\[\\s*upstream\\s+commit\\s+(${SHA})\\s*\\])\\s*$`, 'im');
const FROM_LINE_RE = /^\s*From:\s*(.+?)\s*$/im;
// Greg's scripts: "I've just added the patch titled\n\n    TITLE\n\nto my usb git tree ... in the usb-next branch."
// (or "to the 5.4-stable tree", the stable queue)
const ADDED_TO_TREE_RE =
  /\bI've\s+just\s+added\s+the\s+patch\s+titled\s*\n[ \t]*\n?[ \t]*(\S[^\n]{0,300}?)[ \t]*\n[ \t]*\n?[ \t]*to\s+(?:my|the)\s+([\w.+/-]{1,100}?)(?:\s+git)?\s+tree\b([^\n]*\n?[^\n]*\n?[^\n]*)/i;
const BRANCH_IN_RE = /\bin\s+the\s+([\w.+/-]{1,100})\s+branch\b/i;
const PULL_AT_RE = /are\s+available\s+in\s+the\s+git\s+repository\s+at:?\s*\n\s*\n?\s*(\S+)(?:[ \t]+(\S+))?/i;
const PULL_HEAD_RE = new RegExp(`for\\s+you\\s+to\\s+fetch\\s+changes\\s+up\\s+to\\s+(${SHA})`, 'i');
const SHORTLOG_HEAD_RE = /^(\S.*?)\s+\((\d+)\):\s*$/;
// b4: "Applied to TREE (BRANCH), thanks!"; patchwork-bot: "This series was applied to netdev/net-next.git (main)"
const B4_HEAD_RE =
  /^\s*(?:applied|this\s+(?:series|patch|patchset)\s+was\s+applied)(?:\s+to\s+(\S+?)(?:\s+\(([^)\s]+)\))?)?\s*(?:,\s*thanks!?|[.!:]|\s+by\s+[^\n]*)?\s*$/im;
// "[1/2] title" (b4), "- [net-next,v2,1/2] title" (patchwork-bot)
const B4_ITEM_RE = /^(?:-\s+)?\[([^\]\n]{0,100})\]\s+(.+?)\s*$/;
const B4_COMMIT_RE = new RegExp(`^\\s+(?:commit:\\s*(${SHA})|(https?:\\/\\/\\S{1,300}?\\/(?:c|commit)\\/(?:\\?id=)?(${SHA}))\\S{0,300})\\s*$`, 'i');

/** "Name <a@b>" or a bare address as an Address; null for anything else. */
export function addressOf(text: string): Address | null {
  const m = /^"?([^"<]*?)"?\s*<([^<>\s@]+@[^<>\s]+)>$/.exec(text.trim());
  if (m) return { name: m[1].trim(), email: m[2] };
  const bare = /^([^<>\s@]+@[^<>\s]+)$/.exec(text.trim());
  return bare ? { name: '', email: bare[1] } : null;
}

/**
 * The notice a message carries, or null (most messages).
 *
 * @example readNotice({ kind: 'reply', isPatch: false, title: 'x', from, ownText: 'Applied, thanks.' })?.kind // 'reply'
 */
export function readNotice(m: NoticeInput): Notice | null {
  const text = m.ownText;
  if (!text) return null;
  if (!m.isPatch && m.kind !== 'pull') {
    const merged = PULL_MERGED_RE.exec(text);
    if (merged && /pull request/i.test(text)) {
      const url = merged[2] ?? null;
      const c = url ? new RegExp(`/(${SHA})\\b`, 'i').exec(url) : null;
      return { kind: 'pull-merged', tree: merged[1], commit: c ? c[1].toLowerCase() : null, url };
    }
  }
  const added = ADDED_TO_TREE_RE.exec(text);
  if (added) {
    const rest = text.slice(added.index + added[0].length);
    const from = FROM_LINE_RE.exec(rest);
    const author = from ? addressOf(from[1]) : null;
    const upstream = STABLE_RE.exec(rest);
    // a stable queue takes commits that are upstream already
    if (upstream) return { kind: 'stable', commit: (upstream[1] ?? upstream[2]).toLowerCase(), title: added[1], author };
    return { kind: 'commit-notice', tree: added[2], branch: BRANCH_IN_RE.exec(added[3])?.[1] ?? null, commit: null, url: null, title: added[1], author };
  }
  const commitId = COMMIT_ID_RE.exec(text);
  if (commitId) {
    const where = TIP_BRANCH_RE.exec(text);
    const tagged = where ? null : /\[\s*([\w.-]{1,40})\s*:\s*([\w./+-]{1,100})\s*\]/.exec(m.subject ?? '');
    const author = AUTHOR_LINE_RE.exec(text);
    return {
      kind: 'commit-notice', tree: where?.[2] ?? tagged?.[1] ?? 'tip', branch: where?.[1] ?? tagged?.[2] ?? null, commit: commitId[1].toLowerCase(),
      url: GITWEB_RE.exec(text)?.[1] ?? null, title: m.title, author: author ? addressOf(author[1]) : null,
    };
  }
  if (m.isPatch) {
    const stable = STABLE_RE.exec(text);
    if (!stable) return null;
    const from = FROM_LINE_RE.exec(text.slice(0, stable.index));
    return { kind: 'stable', commit: (stable[1] ?? stable[2]).toLowerCase(), title: m.title, author: (from && addressOf(from[1])) || m.from };
  }
  if (m.kind === 'pull') {
    const at = PULL_AT_RE.exec(text);
    if (!at) return null;
    const shortlog = readShortlog(text.slice(at.index));
    return { kind: 'pull-request', tree: at[1], branch: at[2] ?? null, head: PULL_HEAD_RE.exec(text)?.[1].toLowerCase() ?? null, shortlog };
  }
  const b4 = readB4(text);
  if (b4) return b4;
  const statement = readAcceptance(text);
  return statement ? { kind: 'reply', statement } : null;
}

/** The shortlog of a pull request: "Author (N):" then the indented titles, up to a blank line. */
function readShortlog(text: string): { author: string; titles: string[] }[] {
  const out: { author: string; titles: string[] }[] = [];
  let cur: { author: string; titles: string[] } | null = null;
  for (const line of text.split('\n')) {
    const head = SHORTLOG_HEAD_RE.exec(line);
    if (head && !/^\s/.test(line)) {
      cur = { author: head[1], titles: [] };
      out.push(cur);
      continue;
    }
    if (cur && /^\s{2,}\S/.test(line)) {
      const t = line.trim();
      // a title git wrapped continues on a deeper indent; anything else after titles ends the entry
      if (/^\s{8,}/.test(line) && cur.titles.length) cur.titles[cur.titles.length - 1] += ` ${t}`;
      else cur.titles.push(t);
      continue;
    }
    if (line.trim() === '' ) { if (cur && cur.titles.length) cur = null; continue; }
    cur = null;
  }
  return out.filter((e) => e.titles.length);
}

/** b4's thank-you: its opening line and the listed patches with their commits. */
function readB4(text: string): Notice | null {
  const head = B4_HEAD_RE.exec(text);
  if (!head) return null;
  const items: ListedCommit[] = [];
  const lines = text.slice(head.index + head[0].length).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const item = B4_ITEM_RE.exec(lines[i].trim());
    if (!item) continue;
    const next = lines[i + 1] ?? '';
    const c = B4_COMMIT_RE.exec(next);
    const at = /(?:^|,)\s*(\d+)\/(\d+)\s*$/.exec(item[1]);
    // a bracket that is neither an index nor a patch's tags ("[PATCH]", "[net]") is not an item
    if (!at && !c) continue;
    const commit = c ? (c[1] ?? c[3]).toLowerCase() : null;
    items.push({ index: at ? Number(at[1]) : null, total: at ? Number(at[2]) : null, title: item[2], commit, url: c?.[2] ?? null });
    if (c) i++;
  }
  if (!items.length) return null;
  let tree = head[1] ?? null;
  let branch = head[2] ?? null;
  if (tree && !branch && tree.includes(':')) [tree, branch] = [tree.slice(0, tree.indexOf(':')), tree.slice(tree.indexOf(':') + 1)];
  return { kind: 'b4-thanks', tree: tree?.replace(/[.,:]+$/, '') ?? null, branch, items };
}
