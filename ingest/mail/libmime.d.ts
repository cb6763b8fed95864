// The two libmime functions used here (the package ships no types).
declare module 'libmime' {
  const libmime: {
    decodeHeader(line: string): { key: string; value: string };
    decodeWords(s: string): string;
  };
  export default libmime;
}
