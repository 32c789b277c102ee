-- INI fixtures and what the official credential library's parser (npm ini
-- 1.3.x under @alicloud/credentials 2.4.7) makes of section [s] in each:
-- spec/13 checks sls.credentials against the expectations, spec/14 checks
-- the expectations against the official parser itself.
return {
  { "comment lines", "# c\n; c\n  # c\n[s]\nk = v", { k = "v" } },
  { "inline comments need no blank", "[s]\na = v # c\nb = v#c\nc = v;c\nd = v ; c",
    { a = "v", b = "v", c = "v", d = "v" } },
  { "quotes keep # and ;", "[s]\na = \"v#1;2\"\nb = 'v#1'\nc = \"\"", { a = "v#1;2", b = "v#1", c = "" } },
  { "double quotes are JSON", "[s]\na = \"x\\\"y\\u0041\"\nb = '\"z\"'", { a = "x\"yA", b = "z" } },
  { "an unclosed quote is no quote", "[s]\na = \"v#c\nb = v'", { a = "\"v", b = "v'" } },
  { "backslash escapes", "[s]\na = v\\#1\\;2\nb = c:\\dir\nc = end\\", { a = "v#1;2", b = "c:\\dir", c = "end\\" } },
  { "a repeated section adds to the first", "[s]\na = 1\nc = 5\n[t]\na = 2\n[s]\nb = 3\na = 4",
    { a = "4", b = "3", c = "5" } },
  { "CR, LF and blank lines", "[s]\r\na = 1\r\n\r\n\rb = 2", { a = "1", b = "2" } },
  { "a header with blanks around it is no header", "[s]\na = 1\n [t]\nb = 2\n[u] \nc = 3",
    { a = "1", b = "2", c = "3", ["[t]"] = true, ["[u]"] = true } },
  { "section names are trimmed, unquoted and lose comments", "[x]\n[ \"s\" ]\na = 1\n[s ; c]\nb = 2",
    { a = "1", b = "2" } },
  { "a key without = is true; null removes; true and false are booleans",
    "[s]\nflag\na = 1\na = null\nb = false\nc = \"true\"", { flag = true, b = false, c = true } },
  { "blanks around keys and values", "[s]\n  a   =   x y  \n\t\"q k\" = v", { a = "x y", ["q k"] = "v" } },
  { "the first = splits; a line starting with = is skipped", "[s]\na = b=c\n= d", { a = "b=c" } },
  { "key[] makes a list", "[s]\nk[] = 1\nk[] = 2\nj = 3\nj[] = 4", { k = { "1", "2" }, j = { "3", "4" } } },
}
