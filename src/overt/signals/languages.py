"""Language codes as sources write them, read as one code per language.

Sources name a post's language in many ways: ISO 639-1 codes with regions (``en-GB``), ISO 639-2/3 codes
(``eng``), deprecated codes (Twitter's ``in`` and ``iw``), English names (the FiveThirtyEight/Clemson IRA data:
``English``, ``Farsi (Persian)``), and codes that say "no language" (``und``, Twitter's ``qme``).
:func:`normalise_lang` reads them all as one primary code, so that the signals and the gazetteer's languages of
a country (:func:`overt.signals.gazetteer.country_languages`) compare like with like.
"""

from __future__ import annotations

import re

#: Language names some sources use instead of codes (the FiveThirtyEight/Clemson IRA data: "English",
#: "Farsi (Persian)", "LANGUAGE UNDEFINED"), lower case, to ISO 639-1 (639-3 where there is no 639-1 code).
_NAMES: dict[str, str | None] = {
    "afrikaans": "af",
    "albanian": "sq",
    "amharic": "am",
    "arabic": "ar",
    "armenian": "hy",
    "azerbaijani": "az",
    "basque": "eu",
    "belarusian": "be",
    "bengali": "bn",
    "bosnian": "bs",
    "bulgarian": "bg",
    "burmese": "my",
    "cantonese": "zh",
    "catalan": "ca",
    "chinese": "zh",
    "simplified chinese": "zh",
    "traditional chinese": "zh",
    "croatian": "hr",
    "czech": "cs",
    "danish": "da",
    "dutch": "nl",
    "english": "en",
    "estonian": "et",
    "farsi": "fa",
    "persian": "fa",
    "filipino": "tl",
    "tagalog": "tl",
    "finnish": "fi",
    "french": "fr",
    "galician": "gl",
    "georgian": "ka",
    "german": "de",
    "greek": "el",
    "gujarati": "gu",
    "haitian": "ht",
    "hebrew": "he",
    "hindi": "hi",
    "hungarian": "hu",
    "icelandic": "is",
    "indonesian": "id",
    "irish": "ga",
    "italian": "it",
    "japanese": "ja",
    "kannada": "kn",
    "kazakh": "kk",
    "khmer": "km",
    "korean": "ko",
    "kurdish": "ku",
    "kyrgyz": "ky",
    "lao": "lo",
    "latvian": "lv",
    "lithuanian": "lt",
    "macedonian": "mk",
    "malay": "ms",
    "malayalam": "ml",
    "marathi": "mr",
    "mongolian": "mn",
    "nepali": "ne",
    "norwegian": "no",
    "pashto": "ps",
    "pushto": "ps",
    "polish": "pl",
    "portuguese": "pt",
    "punjabi": "pa",
    "romanian": "ro",
    "russian": "ru",
    "serbian": "sr",
    "sinhala": "si",
    "slovak": "sk",
    "slovenian": "sl",
    "somali": "so",
    "spanish": "es",
    "swahili": "sw",
    "swedish": "sv",
    "tajik": "tg",
    "tamil": "ta",
    "tatar": "tt",
    "telugu": "te",
    "thai": "th",
    "turkish": "tr",
    "turkmen": "tk",
    "ukrainian": "uk",
    "urdu": "ur",
    "uzbek": "uz",
    "vietnamese": "vi",
    "welsh": "cy",
    "language undefined": None,
    "undefined": None,
    "unknown": None,
}

#: Codes that name one language differently: deprecated (Twitter's ``in``, ``iw``), ISO 639-2/3 for languages
#: with a 639-1 code, macrolanguage members, and Norwegian's written standards (geonames lists ``nb``/``nn``,
#: platforms say ``no``).
_ALIASES = {
    "in": "id",
    "iw": "he",
    "ji": "yi",
    "jw": "jv",
    "nb": "no",
    "nn": "no",
    "fil": "tl",
    "yue": "zh",
    "cmn": "zh",
    "arb": "ar",
    "pes": "fa",
    "zsm": "ms",
    "eng": "en",
    "rus": "ru",
    "deu": "de",
    "ger": "de",
    "fra": "fr",
    "fre": "fr",
    "spa": "es",
    "ita": "it",
    "por": "pt",
    "ukr": "uk",
    "zho": "zh",
    "chi": "zh",
    "jpn": "ja",
    "kor": "ko",
    "ara": "ar",
    "fas": "fa",
    "per": "fa",
    "tur": "tr",
    "pol": "pl",
    "nld": "nl",
    "dut": "nl",
    "swe": "sv",
    "nor": "no",
    "fin": "fi",
    "dan": "da",
    "ell": "el",
    "gre": "el",
    "heb": "he",
    "hin": "hi",
    "urd": "ur",
    "ind": "id",
    "msa": "ms",
    "may": "ms",
    "tha": "th",
    "vie": "vi",
    "tgl": "tl",
    "bul": "bg",
    "srp": "sr",
    "hrv": "hr",
    "ces": "cs",
    "cze": "cs",
    "slk": "sk",
    "slo": "sk",
    "slv": "sl",
    "ron": "ro",
    "rum": "ro",
    "hun": "hu",
    "est": "et",
    "lav": "lv",
    "lit": "lt",
    "bel": "be",
    "kaz": "kk",
    "uzb": "uz",
    "aze": "az",
    "hye": "hy",
    "arm": "hy",
    "kat": "ka",
    "geo": "ka",
    "mkd": "mk",
    "mac": "mk",
    "sqi": "sq",
    "alb": "sq",
    "cat": "ca",
    "ben": "bn",
    "tam": "ta",
}

#: Codes that say "no language" or "not a language": undetermined, no linguistic content, multiple, and Twitter's
#: reserved codes for posts of only media, hashtags, mentions, links or emoji (``qam``, ``qct``, ``qht``, ...).
_UNDETERMINED = {"und", "zxx", "mul", "mis", "art"}
_CODE = re.compile(r"[a-z]{2,3}")
_PRIVATE = re.compile(r"q[a-t][a-z]")


def normalise_lang(raw: str | None) -> str | None:
    """The primary language code of *raw* (``"English"``, ``"en"``, ``"en-GB"``, ``"eng"`` -> ``"en"``).

    None for empty, undetermined (``und``, ``LANGUAGE UNDEFINED``), private-use (Twitter's ``qme``, ``qht``, ...)
    and unknown names: a post without a readable language does not count for or against an account.
    """
    if raw is None:
        return None
    text = raw.strip().lower().replace("_", "-")
    if not text:
        return None
    for name in (text, text.split(" (")[0]):
        if name in _NAMES:
            return _NAMES[name]
    primary = text.split("-")[0]
    if not _CODE.fullmatch(primary) or primary in _UNDETERMINED or _PRIVATE.fullmatch(primary):
        return None
    return _ALIASES.get(primary, primary)
