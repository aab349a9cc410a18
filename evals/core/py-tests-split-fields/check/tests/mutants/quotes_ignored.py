"""Splitting one line of a delimited text file into fields."""


def split_fields(line, sep=","):
    """Split line on sep. A field may be wrapped in double quotes, in which
    case sep inside it is literal and a doubled quote ("") stands for one
    quote character. Whitespace is kept as is. Every separator starts a new
    field, so 'a,' gives ['a', ''] and '' gives ['']. Raises ValueError when
    a quoted field is not closed."""
    fields = []
    field = []
    i = 0
    quoted = False
    while i < len(line):
        ch = line[i]
        if quoted:
            if ch == '"':
                if i + 1 < len(line) and line[i + 1] == '"':
                    field.append('"')
                    i += 1
                else:
                    quoted = False
            else:
                field.append(ch)
        elif ch == sep:
            fields.append("".join(field))
            field = []
        else:
            field.append(ch)
        i += 1
    if quoted:
        raise ValueError("unterminated quoted field")
    fields.append("".join(field))
    return fields
