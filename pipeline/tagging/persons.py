"""People the entity list has never heard of: person names in human-rights context.

``PersonDetector`` finds person names in an article and keeps those that stand next to a
human-rights cue (the victim of a detention, sentence, search, disappearance or attack; a rights
defender). The enricher runs it on articles tagged ``human_rights`` only, and passes the cue
matches its automaton already found (the taxonomy's own lexicon groups, see ``PERSON_CUE_GROUPS``).

How a name is recognised, per script:

* **Cyrillic (Russian, Ukrainian)**: ``pymorphy3`` with its Russian and Ukrainian dictionaries, which
  mark first names (``Name``), surnames (``Surn``) and patronymics (``Patr``) and predict the
  paradigm of unknown words. A name is a first name followed by a surname-like word (a ``Surn``
  word, an adjectival surname such as «Навального», or a word the dictionary does not know), a
  first name and a patronymic, or the same in surname-first order; the words must agree in gender
  and case. A lone surname counts after a role noun («журналистку Петрову»). The nominative form
  comes from the same analyser (``inflect``), so «Марии Колесниковой» gives «Мария Колесникова».
* **Cyrillic (Belarusian)**: no maintained morphological dictionary ships in a package, so a
  list of Belarusian first names with their generated case forms, and suffix rules for the
  nominative of surnames (``-скага`` -> ``-скі``, ``-віча`` -> ``-віч``, ``-скай`` -> ``-ская``).
* **Latin (English)**: a run of capitalised words in the text (not a title-case headline) that is
  introduced by a role noun or a title ("journalist Ihar Losik", "Mr Losik"), followed by an
  apposition (", a blogger", ", 34,", ", who"), the subject or object of a victim predicate
  ("Losik was arrested", "the arrest of Ihar Losik"), coordinated with such a name ("journalists
  A B and C D"), or that starts with a first name the Russian or Ukrainian dictionary knows under a
  Cyrillic spelling ("Oleg", "Andrei"). Runs with an organisation, place or calendar word, a role
  noun, an acronym, or a word that the same article also writes in lower case ("Court" next to
  "court") are not names.

Every name gets a canonical Latin form (``translit.name_to_latin`` for Cyrillic), an id
``person:<latin-slug>`` and its mentions: the full name and later surname-only mentions. A person is
kept when one of its mentions has a cue within ``CUE_WINDOW`` words in the same sentence
(``WEAK_CUE_WINDOW`` for a name known only by its first name; "X was executed" is its own cue), and
not when its name is introduced as a judge, prosecutor, minister or other official (those act on
the victims). Pure: the dictionaries are loaded once by ``PersonDetector.load``; ``detect`` does no
I/O. ``docs/TAGGING.md ("People outside the curated list")`` has the measurements.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pipeline.tagging.matcher import Span
from pipeline.tagging.sentences import sentence_bounds, sentence_index
from pipeline.tagging.translit import latin_slug, name_to_latin

__all__ = [
    "CUE_WINDOW",
    "PERSON_CUE_GROUPS",
    "WEAK_CUE_WINDOW",
    "NameFound",
    "PersonDetector",
    "PersonFound",
]

#: Lexicon groups of ``config/taxonomy.yaml`` whose matches put a name in human-rights context.
PERSON_CUE_GROUPS: tuple[str, ...] = (
    "detain",
    "arbitrary_detention_explicit",
    "prison_term",
    "in_absentia",
    "prisoner",
    "political_prisoner_explicit",
    "release",
    "torture_core",
    "torture_explicit",
    "disappearance_explicit",
    "whereabouts",
    "attack_word",
    "hr_defender",
    "prosecution",
    "media_repression",
    "death_explicit",
)
#: Words (at most) between a mention and its cue, in the same sentence.
CUE_WINDOW = 15
#: The same for a name known only by its first name (no role, apposition or predicate).
WEAK_CUE_WINDOW = 8
_WEAK_RULES = frozenset({"first-name"})
MAX_EVIDENCE = 5
_SNIPPET = 300  # characters of evidence around a mention

CueFinder = Callable[[Span, int], Span | None]  # (mention, window in words) -> a cue near it


def _split(words: str) -> tuple[str, ...]:
    return tuple(words.split())


# ------------------------------------------------------------------------------------- vocabulary
# Role nouns that introduce a person (stems: a word counts when it starts with one).
_ROLE_STEMS_EN = (
        "journalist", "reporter", "correspondent", "photojournalist", "photographer", "cameraman",
        "blogger", "editor", "activist", "defender", "advocate", "lawyer", "attorney", "dissident",
        "opponent", "critic", "unionist", "leader", "politician", "candidate", "student", "teacher",
        "professor", "academic", "scholar", "researcher", "writer", "poet", "author", "artist",
        "musician", "singer", "rapper", "filmmaker", "priest", "pastor", "bishop", "imam", "monk",
        "nun", "doctor", "nurse", "volunteer", "coordinator", "founder", "co-founder", "chairman",
        "chairwoman", "member", "prisoner", "detainee", "inmate", "hostage", "protester",
        "protestor", "demonstrator", "campaigner", "environmentalist", "worker", "farmer",
        "economist", "analyst", "entrepreneur", "businessman", "businesswoman", "athlete",
        "mother", "father", "wife", "husband", "son", "daughter", "brother", "sister", "widow",
        "colleague", "partner", "anarchist", "paralegal", "organiser", "organizer", "pensioner",
        "comedian", "comedienne", "model", "host", "presenter", "anchor", "vlogger", "youtuber",
        "actor", "actress", "playwright", "novelist", "cartoonist", "satirist", "commentator",
        "columnist", "cleric", "preacher", "lecturer", "engineer", "surgeon", "physician", "medic",
        "tycoon", "mogul", "billionaire", "publisher", "director", "head", "manager", "owner",
)  # fmt: skip
_ROLES_EN = frozenset(_ROLE_STEMS_EN)
_TITLES_EN = frozenset({"mr", "mrs", "ms", "miss", "dr", "mx", "sir", "dame"})
_ROLE_STEMS: dict[str, tuple[str, ...]] = {
    "en": _ROLE_STEMS_EN,
    "ru": (
        "журналист", "корреспондент", "фотокорреспондент", "фотограф", "блогер", "блоггер",
        "редактор", "активист", "экоактивист", "правозащитни", "адвокат", "юрист", "оппозиционер",
        "политик", "политзаключ", "политузни", "заключенн", "заключённ", "узник", "студент",
        "преподавател", "учител", "профессор", "писател", "поэт", "художни", "музыкант", "режиссер",
        "режиссёр", "священни", "врач", "волонтер", "волонтёр", "координатор", "основател", "лидер",
        "председател", "член", "сотрудни", "анархист", "задержанн", "осужденн", "осуждённ",
        "фигурант", "обвиняем", "подозреваем", "жена", "жену", "жены", "муж", "сын", "дочь", "дочер",
        "мать", "матер", "отец", "отца", "брат", "сестр",
        "пенсионер", "предпринимател", "бизнесмен", "экс-", "бывш",
    ),
    "uk": (
        "журналіст", "кореспондент", "фотокореспондент", "фотограф", "блогер", "редактор",
        "активіст", "екоактивіст", "правозахисни", "адвокат", "юрист", "опозиціонер", "політик",
        "політв'яз", "політвяз", "в'язн", "в'язен", "ув'язнен", "бранц", "бранк", "студент",
        "викладач", "вчител", "учител", "професор", "письменни", "поет", "художни", "музикант",
        "режисер", "священи", "лікар", "волонтер", "координатор", "засновни", "лідер", "член",
        "співробітни", "затриман", "засуджен", "фігурант", "обвинувачен", "підозрюван", "дружин",
        "чолові", "син", "доньк", "дочк", "мати", "матір", "батьк", "брат", "сестр",
        "пенсіонер", "підприємец", "підприємц", "бізнесмен", "колишн",
    ),
    "be": (
        "журналіст", "карэспандэнт", "фотакарэспандэнт", "фатограф", "блогер", "рэдактар",
        "актывіст", "праваабаронц", "адвакат", "юрыст", "апазіцыянер", "палітык", "палітвяз",
        "палітзняволен", "вязн", "вязен", "зняволен", "студэнт", "выкладчы", "настаўні", "прафесар",
        "пісьменні", "паэт", "мастак", "мастач", "музыкант", "рэжысёр", "святар", "ксёндз", "лекар",
        "дактар", "валанцёр", "каардынатар", "заснавальні", "лідар", "старшын", "сябр", "член",
        "супрацоўні", "затрыман", "асуджан", "фігурант", "абвінавачан", "падазрона", "жонк", "муж",
        "сын", "дачк", "дачу", "маці", "бацьк", "брат", "сястр",
        "пенсіянер", "прадпрымальні", "бізнесмен", "былы", "былая", "былога", "былой",
    ),
}  # fmt: skip
# Officials who act on the victims: a name introduced only by one of these is not kept.
_OFFICIAL_STEMS: dict[str, tuple[str, ...]] = {
    "en": (
        "judge", "prosecutor", "minister", "president", "spokesman", "spokeswoman", "spokesperson",
        "officer", "commander", "general", "governor", "mayor", "senator", "investigator", "chief",
        "ambassador", "secretary", "dictator", "ruler", "premier", "prime", "colonel", "warden",
    ),
    "ru": (
        "судья", "судьи", "судье", "судью", "судьей", "прокурор", "следовател", "министр", "президент",
        "пресс-секретар", "губернатор", "мэр", "генерал", "начальник", "командир", "посол", "глава",
        "главы", "премьер", "полковник", "депутат", "спикер",
    ),
    "uk": (
        "суддя", "судді", "суддю", "прокурор", "слідч", "міністр", "президент", "речни", "губернатор",
        "мер", "генерал", "начальник", "командир", "посол", "голова", "голови", "прем'єр",
        "полковник", "депутат", "спікер",
    ),
    "be": (
        "суддзя", "суддзі", "суддзю", "пракурор", "следчы", "следчага", "міністр", "прэзідэнт",
        "прэс-сакратар", "губернатар", "мэр", "генерал", "начальні", "камандзір", "пасол", "кіраўні",
        "прэм'ер", "палкоўні", "дэпутат", "спікер",
    ),
}  # fmt: skip
# English predicates that make a capitalised run the victim: "<run> was arrested", "arrest of <run>".
_VICTIM_VERBS = (
    "arrested|detained|jailed|imprisoned|sentenced|abducted|kidnapped|killed|murdered|shot|tortured|"
    "beaten|assaulted|attacked|released|freed|charged|convicted|disappeared|missing|held|summoned|"
    "interrogated|searched|taken|seized|deported|expelled|harassed|threatened|prosecuted|indicted|"
    "tried|executed|hanged|picked up|rounded up|remanded|denied bail|forcibly disappeared"
)
_AFTER_VICTIM = re.compile(  # passive only: "Trump threatened ..." makes no victim
    rf"^\s+(?:(?:also|reportedly|allegedly|later|then|briefly|again|not|never|still)\s+)*"
    rf"(?:was|were|has been|had been|have been|is|are|is being|was being|got|remains|remained)\s+"
    rf"(?:(?:also|reportedly|allegedly|later|then|briefly|again|not|never|still|being)\s+)*"
    rf"(?:{_VICTIM_VERBS})\b"
)
_BEFORE_VICTIM = re.compile(
    r"\b(?:(?:arrest|detention|abduction|kidnapping|killing|murder|assassination|release|"
    r"disappearance|trial|sentencing|conviction|imprisonment|jailing|torture|prosecution|"
    r"whereabouts|execution|deportation|shooting|death|beating|persecution|harassment)\s+of|"
    r"(?:" + _VICTIM_VERBS + r"|arresting|detaining|jailing|abducting|killing|freeing|releasing|"
    r"sentencing|charging|torturing))\s+$"
)
_MODIFIER = re.compile(r"^\s+(?:" + "|".join(_ROLE_STEMS_EN) + r")(?:s|es)?\b")
_COORDINATION = re.compile(r"^(?:\s*,\s*|\s+and\s+|\s*,\s+and\s+|\s*&\s*)$")
_APPOSITION = re.compile(r"^\s*(?:,\s*(?:a|an|the|who|\d{1,3}\s*,)(?!\w)|\(\d{1,3}\))")
_AGE = re.compile(r"^\s*(?:,\s*\d{1,3}\s*,|\(\d{1,3}\))")
_APPOSITION_ROLE = re.compile(r"^\s*,\s*(?:a|an|the)\s+((?:[\w'’-]+\s+){0,5}[\w'’-]+)")
_LATIN_PARTICLES = frozenset(
    _split(
        """
    de da do dos das del della di du la le van von der den ter bin ibn bint al el abu ben ul
"""
    )
)
# Capitalised words that do not start or end a person's name in English text.
_LATIN_STOP = frozenset(
    _split(
        """
    a an the in on at for of to by with from into about after before since during while when where
    who what why how if but and or nor so yet as than that this these those there here it its his
    her their our my your we they he she i you said says say according also however meanwhile last
    next monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december court courts police ministry minister
    president government committee council union party association federation movement front army
    forces force guard guards service services agency office department bureau commission
    organisation organization center centre institute university college school academy foundation
    fund network group watch international rights human amnesty news press times post radio tv
    television channel media free europe republic kingdom state states united nations national
    federal supreme high regional district city region province street avenue square prison jail
    colony station airport church mosque cathedral parliament assembly congress senate house embassy
    consulate facebook twitter telegram youtube instagram whatsapp google reuters bbc cnn euronews
    belsat viasna day week year security defence defense interior justice affairs foreign general
    prosecutor office's central eastern western northern southern east west north south new old
    great saint st mr mrs ms dr sir lord lady prince princess pope belarus belarusian
    belarusians russia russian russians ukraine ukrainian ukrainians poland polish lithuania
    lithuanian europe european eu us usa uk america american americans china chinese iran iranian
    turkey turkish israel israeli palestinian syria syrian iraq iraqi egypt egyptian india indian
    pakistan pakistani africa african asia asian latin minsk moscow kyiv kiev warsaw vilnius crimea
    crimean donbas hong kong myanmar burma zimbabwe mexico colombia philippines nicaragua venezuela
    cuba azerbaijan georgia kazakhstan tajikistan uzbekistan kyrgyzstan turkmenistan islamic muslim
    christian catholic orthodox jewish kurdish tatar taliban hamas isis kgb fsb omon covid
    coronavirus internet web online telegram's brexit nobel prize award peace county strip
    bridge river park express airways airlines factory index club bank daily gang island islands
    valley hill hills mountains lake sea ocean gulf coast border administration act law code bill
    ltd inc llc gmbh corp company viet jazeera dhabi ghraib
"""
    )
)
_LATIN_TOKEN = re.compile(r"[^\W\d_](?:[\w'’-]*[^\W_])?")
_CYRILLIC = re.compile(r"[а-яёіїєґўА-ЯЁІЇЄҐЎ]")
_SENTENCE_PUNCT = frozenset(".!?…\n:;")

# Belarusian first names (nominative); their case forms are generated by ``_be_name_forms``.
_BE_MALE = _split(
    """
    Алесь Алег Аляксандр Аляксей Анатоль Андрэй Антон Арцём Арцем Багдан Барыс Вадзім Валерый Васіль
    Віктар Віталь Уладзімір Уладзіслаў Валянцін Вячаслаў Генадзь Георгій Глеб Грыгорый Даніла
    Дзмітрый Дзяніс Зміцер Зміцер Ігар Ілля Іван Ян Янка Яўген Яраслаў Кірыла Кастусь Канстанцін
    Лявон Леанід Максім Марат Мікалай Мікола Міхаіл Міхась Мікіта Мікіта Назар Алег Павел Паўлюк
    Пётр Пятро Раман Руслан Рыгор Сяргей Сымон Сцяпан Станіслаў Сцяпан Тарас Цімур Цімафей Юрый
    Юрась Эдуард Эдуард Францішак Фёдар Фядос Яфім Вітольд Вацлаў Антось Андрусь Ілья Аркадзь
    Аляксандар Дзяніс Ціхан
"""
)
_BE_FEMALE = _split(
    """
    Алена Алеся Аліна Алла Анастасія Анжаліка Анна Ганна Антаніна Браніслава Валерыя Валянціна Вера
    Вераніка Вікторыя Габрыэла Галіна Дар'я Дар’я Дарʼя Дзіяна Ева Кацярына Каця Ксенія Ксеня
    Лізавета Людміла Любоў Марыя Марына Маргарыта Надзея Наста Настасся Наталля Ніна Вольга Паліна
    Раіса Святлана Соф'я Софія Сафія Таццяна Тамара Юлія Яна Ірына Ірына Ларыса Лілія Ліліяна Маша
    Оля Жанна Зоя Зінаіда Эльвіра Эліна Яўгенія Ядвіга Алёна Аксана Вольга Крысціна Ульяна
    Уладзіслава Веранiка
"""
)

_BE_SURNAME_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    # gender -> (ending of an oblique case, nominative ending), longest first
    "masc": (
        ("скага", "скі"), ("скаму", "скі"), ("скім", "скі"), ("цкага", "цкі"), ("цкаму", "цкі"),
        ("цкім", "цкі"), ("зкага", "зкі"), ("вічам", "віч"), ("віча", "віч"), ("вічу", "віч"),
        ("енкам", "енка"), ("енкі", "енка"), ("енку", "енка"), ("авым", "аў"), ("ава", "аў"),
        ("аву", "аў"), ("ёвым", "ёў"), ("ёва", "ёў"), ("ёву", "ёў"), ("евым", "еў"), ("ева", "еў"),
        ("інам", "ін"), ("іна", "ін"), ("іну", "ін"), ("ыкі", "ыка"), ("кам", "к"), ("ка", "к"),
        ("ку", "к"), ("ам", ""), ("у", ""), ("а", ""),
    ),
    "femn": (
        ("скай", "ская"), ("скую", "ская"), ("скаю", "ская"), ("цкай", "цкая"), ("цкую", "цкая"),
        ("авай", "ава"), ("аву", "ава"), ("авую", "ава"), ("ёвай", "ёва"), ("ёву", "ёва"),
        ("евай", "ева"), ("еву", "ева"), ("інай", "іна"), ("іну", "іна"), ("ай", "а"), ("у", "а"),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class NameFound:
    """One name mention: its span, the nominative form in its own script and the Latin form."""

    span: Span
    surface: str
    native: str  # nominative in the original script ("" for Latin names)
    latin: str  # canonical Latin form
    language: str  # ru, uk, be or en (the rules that recognised it)
    rule: str  # name, role, apposition, predicate, title
    surname: str  # lower-case surname in the original script, for linking surname-only mentions


@dataclass
class PersonFound:
    """A person kept by ``PersonDetector.detect``: id, names, mentions and evidence spans."""

    id: str
    name: str
    native: str
    mentions: list[Span] = field(default_factory=list)
    surfaces: list[str] = field(default_factory=list)
    evidence: list[Span] = field(default_factory=list)
    rule: str = ""


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class _Morph:
    """pymorphy3 readings of one word that matter for names: (gender, case, parse) per kind."""

    name: tuple[tuple[str, str, Any], ...]
    surn: tuple[tuple[str, str, Any], ...]
    patr: tuple[tuple[str, str, Any], ...]
    adj: tuple[tuple[str, str, Any], ...]
    other: tuple[tuple[str, str, Any], ...]  # noun readings guessed for an unknown word
    nouns: tuple[tuple[str, str, Any], ...]  # every singular noun reading
    known: bool
    common: bool  # the best reading is a known ordinary word (not a name) with a clear lead


def _be_name_forms() -> dict[str, tuple[str, str, frozenset[str]]]:
    """Lower-case case forms of Belarusian first names -> (nominative, gender, cases)."""
    forms: dict[str, tuple[str, str, set[str]]] = {}

    def add(form: str, nom: str, gender: str, case: str) -> None:
        entry = forms.setdefault(form.lower(), (nom, gender, set()))
        if entry[0] == nom:
            entry[2].add(case)

    for nom in _BE_MALE:
        low = nom.lower()
        add(low, nom, "masc", "nomn")
        if low.endswith(("а", "я")):  # Мікіта, Ілля, Янка
            stem = low[:-1]
            soft = low.endswith("я")
            add(stem + ("і" if soft or stem[-1] in "кгх" else "ы"), nom, "masc", "gent")
            add(stem + ("ю" if soft else "у"), nom, "masc", "accs")
            add(stem + ("ём" if soft else "ам"), nom, "masc", "ablt")
        elif low.endswith(("й", "ь")):  # Сяргей, Алесь
            stem = low[:-1]
            add(stem + "я", nom, "masc", "gent")
            add(stem + "ю", nom, "masc", "datv")
            add(stem + "ем", nom, "masc", "ablt")
        else:  # Ігар, Віктар, Павел (Паўла)
            stem = low
            if low == "павел":
                stem = "паўл"
            elif low == "пётр":
                stem = "пятр"
            add(stem + "а", nom, "masc", "gent")
            add(stem + "у", nom, "masc", "datv")
            add(stem + "ам", nom, "masc", "ablt")
            add(stem + "е", nom, "masc", "loct")
    for nom in _BE_FEMALE:
        low = nom.lower()
        add(low, nom, "femn", "nomn")
        if low.endswith(("а", "я")):
            stem = low[:-1]
            soft = low.endswith("я")
            if low.endswith(("ія", "ыя")):
                add(stem + "і", nom, "femn", "gent")
            add(stem + ("і" if soft or stem[-1] in "кгх" else "ы"), nom, "femn", "gent")
            add(stem + ("і" if soft else "е"), nom, "femn", "datv")
            add(stem + ("ю" if soft else "у"), nom, "femn", "accs")
            add(stem + ("яй" if soft else "ай"), nom, "femn", "ablt")
            add(stem + ("яю" if soft else "аю"), nom, "femn", "ablt")
        elif low.endswith("ь"):  # Любоў has no soft sign; Ніна etc. handled above
            add(low[:-1] + "і", nom, "femn", "gent")
    return {k: (v[0], v[1], frozenset(v[2])) for k, v in forms.items()}


_BE_NAMES = _be_name_forms()
_BE_LATIN_NAMES = frozenset(name_to_latin(n, "be").lower() for n in (*_BE_MALE, *_BE_FEMALE))

# Latin -> Cyrillic spellings, longest first; several choices where romanisations disagree.
_REVERSE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("shch", ("щ",)), ("sch", ("щ", "ш")), ("zh", ("ж",)), ("kh", ("х",)), ("ts", ("ц",)),
    ("tz", ("ц",)), ("ch", ("ч",)), ("sh", ("ш",)), ("ya", ("я",)), ("ia", ("ия", "я")),
    ("yu", ("ю",)), ("iu", ("ю", "иу")), ("ye", ("е", "ье")), ("yo", ("ё", "йо")), ("ei", ("ей",)),
    ("ey", ("ей",)), ("ai", ("ай",)), ("ay", ("ай",)), ("oy", ("ой",)), ("oi", ("ой",)),
    ("iy", ("ий",)), ("ii", ("ий",)), ("ph", ("ф",)), ("th", ("т",)), ("x", ("кс",)), ("j", ("й", "дж")),
    ("y", ("ы", "й", "и")), ("e", ("е", "э")), ("h", ("х", "г")), ("i", ("и", "і")), ("c", ("к", "ц")),
    ("w", ("в",)), ("q", ("к",)), ("a", ("а",)), ("b", ("б",)), ("v", ("в",)), ("g", ("г",)),
    ("d", ("д",)), ("z", ("з",)), ("k", ("к",)), ("l", ("л",)), ("m", ("м",)), ("n", ("н",)),
    ("o", ("о",)), ("p", ("п",)), ("r", ("р",)), ("s", ("с",)), ("t", ("т",)), ("u", ("у",)),
    ("f", ("ф",)),
)  # fmt: skip
_MAX_SPELLINGS = 12


def _to_cyrillic(word: str) -> list[str]:
    """A few Cyrillic spellings of a romanised name (``oleg`` -> ``олег``; ``dmitry`` -> ``дмитрий``)."""
    spellings = [""]
    i = 0
    while i < len(word):
        for latin, options in _REVERSE:
            if word.startswith(latin, i):
                if latin == "y" and i == len(word) - 1:
                    options = ("ий", "ый", "й", "и")
                spellings = [s + o for s in spellings for o in options][:_MAX_SPELLINGS]
                i += len(latin)
                break
        else:
            return []
    return spellings


def _title(word: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in word.split("-"))


def _starts(word: str, stems: Iterable[str]) -> bool:
    return any(word.startswith(s) for s in stems)


def _is_role_en(word: str) -> bool:
    """An English role noun, singular or plural, not possessive ("journalists' union" is no role)."""
    if word.endswith(("'", "’", "'s", "’s")):
        return False
    parts = word.split("-")
    return any(
        w in _ROLES_EN or (w.endswith("s") and w[:-1] in _ROLES_EN) or w[:-2] in _ROLES_EN
        for w in {word, parts[0], parts[-1]}
    )  # "writer-activist", "editor-in-chief"


class PersonDetector:
    """Person names in human-rights context (see the module docstring); built once, used by the enricher.

    ``names`` lists every name it recognises (no context: for evaluation against NER gold data);
    ``detect`` keeps the people whose mentions stand next to a cue.
    """

    def __init__(self, analyzers: dict[str, Any]) -> None:
        self._analyzers = analyzers
        self._morph = lru_cache(maxsize=65536)(self._analyse)
        self._latin_first_name = lru_cache(maxsize=16384)(self._is_latin_first_name)
        self._role_before_word = False

    @classmethod
    def load(cls) -> PersonDetector:
        """Load the pymorphy3 Russian and Ukrainian dictionaries (shipped in their packages)."""
        return cls(_load_analyzers())

    def __getstate__(self) -> dict[str, Any]:
        return {}  # Beam pickles the enricher: the dictionaries are loaded again on the worker

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(_load_analyzers())  # type: ignore[misc]

    # ------------------------------------------------------------------------------ public API
    def names(self, text: str, language: str, title_end: int = 0) -> list[NameFound]:
        """Every name recognised in ``text`` (full names, role-introduced surnames), in text order.

        ``text[:title_end]`` is the headline: when it is in title case ("Court Jails Blogger For
        15 Years") its Latin-script runs are skipped. ``language`` is the article's language;
        Cyrillic runs in other articles are read by their letters (ў: Belarusian, ї/є/ґ: Ukrainian,
        otherwise Russian).
        """
        found: list[NameFound] = []
        lowered: set[str] | None = None
        latin: list[NameFound] = []
        latin_from = title_end if title_end and _title_case(text[:title_end]) else 0
        for run in self._runs(text):
            if _CYRILLIC.match(run[0].text):
                found.extend(self._cyrillic(text, run, self._cyrillic_language(run, language)))
            elif run[0].start >= latin_from:
                if lowered is None:
                    lowered = set(re.findall(r"\b[a-z][a-z'-]+\b", text))
                candidate = self._latin(text, run, lowered)
                if candidate is not None:
                    latin.append(candidate)
        if latin:
            found.extend(_coordinate(text, latin))
            found.sort(key=lambda n: n.span)
        return found

    def detect(
        self,
        text: str,
        language: str,
        cue: CueFinder,
        blocked: Sequence[Span] = (),
        title_end: int = 0,
        sentences: Sequence[int] | None = None,
        officials: bool = False,
    ) -> list[PersonFound]:
        """People named in ``text`` with a cue next to one of their mentions.

        ``cue(span, window)`` returns a cue match within ``window`` words of ``span`` in the same
        sentence, or ``None``; ``blocked`` are spans of curated entities (a name overlapping one is theirs).
        People introduced as officials are dropped unless ``officials`` (for evaluation).
        """
        names = [n for n in self.names(text, language, title_end) if not _overlaps(n.span, blocked)]
        if not names:
            return []
        official: set[str] = set()
        predicated = {n.span for n in names if n.rule == "predicate"}  # "X was executed": its own cue
        strong: set[str] = set()  # introduced by a role, apposition, predicate or morphology
        people: dict[str, PersonFound] = {}
        surnames: dict[str, str] = {}  # lower-case surname -> person key (full names win)
        for name in sorted(names, key=lambda n: (n.rule == "role-surname", n.span)):
            key = latin_slug(name.latin)
            if not key:
                continue
            if name.rule == "role-surname" and name.surname in surnames:
                key = surnames[name.surname]
            person = people.get(key)
            if person is None:
                person = people[key] = PersonFound(f"person:{key}", name.latin, name.native, rule=name.rule)
                if name.surname:
                    surnames.setdefault(name.surname, key)
            person.mentions.append(name.span)
            person.surfaces.append(name.surface)
            if self._official_before(text, name.span):
                official.add(key)
            if name.rule not in _WEAK_RULES:
                strong.add(key)
        self._link_surnames(text, people, surnames, blocked)
        bounds = list(sentences) if sentences is not None else sentence_bounds(text)
        kept = []
        for person in people.values():
            person.mentions.sort()
            if not officials and person.id.split(":", 1)[1] in official:
                continue  # introduced as a judge, minister, president ...
            weak = person.id.split(":", 1)[1] not in strong
            for span in person.mentions:
                window = WEAK_CUE_WINDOW if weak else CUE_WINDOW
                partner = span if span in predicated else cue(span, window)
                if partner is not None and len(person.evidence) < MAX_EVIDENCE:
                    snippet = _snippet(text, bounds, span)
                    if snippet not in person.evidence:
                        person.evidence.append(snippet)
            if person.evidence:
                person.surfaces = list(dict.fromkeys(person.surfaces))
                kept.append(person)
        return kept

    # ------------------------------------------------------------------------------ tokens and runs
    @staticmethod
    def _runs(text: str) -> list[list[_Token]]:
        """Runs of capitalised words separated by single spaces (initials and particles allowed)."""
        runs: list[list[_Token]] = []
        current: list[_Token] = []
        for m in _LATIN_TOKEN.finditer(text):
            word = m.group()
            capital = word[0].isupper()
            if current:
                gap = text[current[-1].end : m.start()]
                joined = gap == " " or (gap == ". " and len(current[-1].text) == 1) or gap == "\u00a0"
                particle = not capital and word in _LATIN_PARTICLES and not _CYRILLIC.match(word)
                if joined and (capital or particle):
                    current.append(_Token(m.start(), m.end(), word))
                    continue
                runs.append(current)
                current = []
            if capital:
                current.append(_Token(m.start(), m.end(), word))
        if current:
            runs.append(current)
        for run in runs:  # no particle at the end of a run
            while run and not run[-1].text[0].isupper():
                run.pop()
        return [r for r in runs if r]

    @staticmethod
    def _cyrillic_language(run: list[_Token], language: str) -> str:
        if language in ("ru", "uk", "be"):
            return language
        letters = "".join(t.text.lower() for t in run)
        if "ў" in letters or "э" in letters:
            return "be"
        if any(ch in letters for ch in "їєґ"):
            return "uk"
        return "ru"

    @staticmethod
    def _words_before(text: str, start: int, count: int = 4) -> list[str]:
        """Up to ``count`` lower-cased words right before ``start``, nearest first, within the clause."""
        head = text[max(0, start - 80) : start]
        for stop in '.!?;:\n("«»“”':
            head = head.rsplit(stop, 1)[-1]
        words = re.findall(r"[\w'’-]+", head.lower())
        return words[::-1][:count]

    def _role_before(self, text: str, start: int, language: str) -> bool:
        words = self._words_before(text, start, 3)
        stems = _ROLE_STEMS.get(language, ())
        if not words:
            return False
        if language == "en":
            # "journalist X", "rights defender X", "detained opposition activist X", "Mr X"
            return words[0] in _TITLES_EN or _is_role_en(words[0])
        return _starts(words[0].replace("’", "'"), stems)

    def _official_before(self, text: str, span: Span) -> bool:
        words = self._words_before(text, span[0], 3)
        if not words:
            return False
        script = "ru" if _CYRILLIC.match(text[span[0] : span[0] + 1]) else "en"
        stems = (
            _OFFICIAL_STEMS["en"]
            if script == "en"
            else _OFFICIAL_STEMS["ru"] + _OFFICIAL_STEMS["uk"] + _OFFICIAL_STEMS["be"]
        )
        return any(_starts(w, stems) for w in words[:3] if len(w) > 2)

    # ------------------------------------------------------------------------------ Latin script
    def _latin(self, text: str, run: list[_Token], lowered: set[str]) -> NameFound | None:
        """A candidate name from a run of capitalised words; ``rule`` is empty when nothing
        introduces it (a coordinated name may still take its neighbour's rule)."""
        tokens = list(run)
        role = False
        while tokens and (
            tokens[0].text.lower() in _LATIN_STOP
            or not tokens[0].text[0].isupper()
            or (len(tokens) > 1 and tokens[0].text.endswith(("'s", "’s")))  # "Gigaom's Mathew Ingram"
            or (  # "Journalist X Y was ..." at the start of a sentence
                len(tokens) > 2
                and _is_role_en(tokens[0].text.lower())
                and _sentence_start(text, tokens[0].start)
            )
        ):
            role = role or _is_role_en(tokens[0].text.lower())
            tokens.pop(0)
        while tokens and tokens[-1].text.lower().rstrip("'’s") in _LATIN_STOP:
            tokens.pop()
        if not tokens or len(tokens) > 4:
            return None
        words = [t.text for t in tokens]
        if any(_latin_bad(w, lowered) or _is_role_en(w.lower()) for w in words):
            return None  # "Manila Workers Unity": a role noun inside makes an organisation
        start, end = tokens[0].start, tokens[-1].end
        surface = text[start:end]
        if surface.endswith(("'s", "’s")):
            surface, end = surface[:-2], end - 2
        after = text[end : end + 80]
        if _MODIFIER.match(after):
            return None  # "Hong Kong activist ..." - a modifier, not a name
        rule = ""
        if role or self._role_before(text, start, "en"):
            rule = "role"
        elif _APPOSITION.match(after) and self._apposition_ok(after):
            rule = "apposition"
        elif len(tokens) >= 2 and (
            _AFTER_VICTIM.match(after) or _BEFORE_VICTIM.search(text[max(0, start - 60) : start])
        ):
            rule = "predicate"
        elif 2 <= len(tokens) <= 3 and self._latin_first_name(tokens[0].text):
            rule = "first-name"  # "Oleg Grishkovtsov and Andrei Burdyko had alleged torture"
        if len(tokens) == 1:
            if len(surface) < 3 or not (rule == "role" or (rule == "apposition" and _AGE.match(after))):
                return None
            if rule == "role" and text[:start].rstrip()[-1:] in (",", "…", ".", ";"):
                return None  # "academics, Dalit and ...": a lone word after a comma is no surname
            if tokens[0].text.endswith(("'s", "’s")) or surface.endswith(("ians", "ese", "ish")):
                return None  # "his mother, Bangladesh's first ..." / "Bangladeshis"
            rule = "role-surname"
        last = surface.split()[-1].lower()
        return NameFound((start, end), surface, "", surface, "en", rule, last)

    @staticmethod
    def _apposition_ok(after: str) -> bool:
        m = _APPOSITION_ROLE.match(after)
        if m is None:
            return True  # ", 34," / ", who" / "(34)"
        return any(_is_role_en(w) for w in m.group(1).lower().split())

    # ------------------------------------------------------------------------------ Cyrillic script
    def _cyrillic(self, text: str, run: list[_Token], language: str) -> list[NameFound]:
        cut = next((k for k, t in enumerate(run) if _acronym(t.text)), None)
        if cut is not None:  # acronyms («ГУБОПиК», «МВД») are no names: read the words around them
            return self._cyrillic(text, run[:cut], language) + self._cyrillic(text, run[cut + 1 :], language)
        if not run:
            return []
        words = [t.text for t in run]
        if len(words) > 5 or not all(_CYRILLIC.match(w) for w in words):
            return []
        out: list[NameFound] = []
        i = 0
        while i < len(words):
            self._role_before_word = self._role_before(text, run[i].start, language)
            got = self._initials(text, run, i, language)
            if got is None:
                got = self._be_name(words, i) if language == "be" else self._ru_name(words, i, language)
            if got is None:
                i += 1
                continue
            n, native, surname, rule = got
            start, end = run[i].start, run[i + n - 1].end
            if rule in ("role-surname", "role-name") and not self._role_before_word:
                i += 1
                continue
            if rule == "role-surname" and self._modifies_noun(text, run[i].end, language, words[i]):
                i += 1
                continue  # «жителей Вологодской области»: an adjective, not a surname
            latin = name_to_latin(native, language)
            out.append(NameFound((start, end), text[start:end], native, latin, language, rule, surname))
            i += n
        return out

    def _initials(
        self, text: str, run: list[_Token], i: int, language: str
    ) -> tuple[int, str, str, str] | None:
        """«Д. І. Менделєєва», «А. Лукашенко»: one or two initials and a known surname."""
        k = i
        while (
            k < len(run) and k - i < 2 and len(run[k].text) == 1 and text[run[k].end : run[k].end + 1] == "."
        ):
            k += 1
        if k == i or k >= len(run) or len(run[k].text) < 3:
            return None
        morph = self._morph("ru" if language == "be" else language, run[k].text)
        if not morph.surn or morph.name:
            return None
        forms = self._agree([run[k].text], morph.surn)
        if not forms:
            return None
        initials = " ".join(f"{t.text}." for t in run[i:k])
        return k - i + 1, f"{initials} {forms[0]}", forms[0].lower(), "initials"

    def _ru_name(self, words: list[str], i: int, language: str) -> tuple[int, str, str, str] | None:
        w = words[i : i + 3]
        cut = next((k for k, x in enumerate(w) if len(x) < 2), len(w))  # no initials, «В», «У»
        w = w[:cut]
        if not w:
            return None
        m = [self._morph(language, x) for x in w]
        rest = len(m)
        if rest >= 3 and m[0].name and m[1].patr and self._surname_like(m[2]):
            forms = self._agree(w, m[0].name, m[1].patr, self._surname_readings(m[2]))
            if forms:
                return 3, " ".join(forms), forms[2].lower(), "name"
        if rest >= 3 and m[0].surn and m[1].name and m[2].patr:
            forms = self._agree(w, m[0].surn, m[1].name, m[2].patr)
            if forms:
                return 3, f"{forms[1]} {forms[2]} {forms[0]}", forms[0].lower(), "name"
        strong = rest >= 2 and (bool(m[1].surn) or (bool(m[1].adj) and _adjectival_surname(w[1])))
        first_name = rest >= 2 and bool(m[0].name) and (strong or not m[0].common)
        if first_name and self._surname_like(m[1]) and (not m[1].patr or m[1].surn):
            forms = self._agree(w[:2], m[0].name, self._surname_readings(m[1]))
            if forms is None and strong and m[1].surn:  # a surname the dictionary has in one gender
                forms = self._agree(w[:2], m[0].name, (("*", "*", None),))
            if forms:
                return 2, " ".join(forms), forms[1].lower(), "name"
        if rest >= 2 and m[0].name and m[1].patr:
            forms = self._agree(w[:2], m[0].name, m[1].patr)
            if forms:
                return 2, " ".join(forms), "", "name"
        if rest >= 2 and m[0].surn and not m[0].name and m[1].name and not m[1].common:
            forms = self._agree(w[:2], m[0].surn, m[1].name)
            if forms:
                return 2, f"{forms[1]} {forms[0]}", forms[0].lower(), "name"
        if rest >= 2 and strong and not m[0].name and m[0].nouns and self._role_before_word:
            forms = self._agree(w[:2], m[0].nouns, m[1].surn or m[1].adj)
            if forms:  # "активіста Сервера Мустафаєва": a first name the dictionary lacks
                return 2, " ".join(forms), forms[1].lower(), "role-name"
        if not m[0].name and (m[0].surn or (m[0].adj and _adjectival_surname(w[0]))):
            if m[0].common and not m[0].surn:
                return None
            forms = self._agree(w[:1], m[0].surn or m[0].adj)
            if forms:
                return 1, forms[0], forms[0].lower(), "role-surname"
        return None

    def _modifies_noun(self, text: str, end: int, language: str, word: str) -> bool:
        """An adjectival word followed by a noun it agrees with (the noun it describes)."""
        morph = self._morph(language, word)
        if morph.surn or not morph.adj:
            return False
        m = re.match(r"\s+([а-яёіїєґў'’-]+)", text[end : end + 40])
        if m is None:
            return False
        readings = {(g, c) for g, c, _ in morph.adj}
        return any((g, c) in readings for g, c, _ in self._morph(language, m.group(1)).nouns)

    @staticmethod
    def _surname_like(m: _Morph) -> bool:
        return bool(m.surn) or bool(m.adj) or (not m.known and not m.name)

    @staticmethod
    def _surname_readings(m: _Morph) -> tuple[tuple[str, str, Any], ...]:
        if m.surn:
            return m.surn
        if m.adj:
            return m.adj
        return (("*", "*", None),)  # unknown word: agrees with anything

    @staticmethod
    def _agree(words: Sequence[str], *readings: tuple[tuple[str, str, Any], ...]) -> list[str] | None:
        """Nominative forms of ``words`` read so that they share a gender and case, or ``None``.

        A reading ``("*", "*", None)`` (a word the dictionary does not know) agrees with anything; its
        nominative comes from its ending (``_fallback_surname``) with the gender and case of the others.
        """
        options: list[tuple[str, str, list[Any]]] = []
        for gender, case, parse in readings[0]:
            chosen = [parse]
            for others in readings[1:]:
                match = next(
                    (
                        p
                        for g, c, p in others
                        if (g == gender or "*" in (g, gender)) and (c == case or "*" in (c, case))
                    ),
                    False,
                )
                if match is False:
                    break
                chosen.append(match)
            else:
                options.append((gender, case, chosen))
        if not options:
            return None
        gender, case, best = next((o for o in options if o[1] == "nomn"), options[0])
        out = []
        for word, parse in zip(words, best, strict=True):
            if parse is None:
                out.append(_fallback_surname(word, gender, case))
                continue
            grams = {"nomn"}
            if gender in ("masc", "femn") and ("ADJF" in parse.tag or "Surn" in parse.tag):
                grams.add(gender)
            nominative = parse.inflect(grams | {"sing"}) or parse.inflect(grams) or parse.inflect({"nomn"})
            out.append(_title(nominative.word if nominative is not None else word.lower()))
        return out

    def _is_latin_first_name(self, word: str) -> bool:
        """A Latin-script first name that the Russian or Ukrainian dictionary knows under one of its
        Cyrillic spellings (``Oleg`` -> «Олег», ``Andrei`` -> «Андрей», ``Katsiaryna`` -> «Кацярына»
        via the Belarusian list): Slavic names in English text need no role noun."""
        low = word.lower()
        if len(low) < 3 or not low.isascii() or not low.isalpha():
            return False
        if low in _BE_LATIN_NAMES:
            return True
        for spelling in _to_cyrillic(low):
            for lang in ("ru", "uk"):
                morph = self._morph(lang, spelling[:1].upper() + spelling[1:])
                if any(p.is_known and p.tag.case == "nomn" for _, _, p in morph.name):
                    return True
        return False

    def _analyse(self, language: str, word: str) -> _Morph:
        analyzer = self._analyzers.get(language) or self._analyzers["ru"]
        parses = analyzer.parse(word)
        name, surn, patr, adj, other, nouns = [], [], [], [], [], []
        known = False
        for p in parses:
            tag = p.tag
            known = known or p.is_known
            if "plur" in tag:
                continue
            reading = (str(tag.gender or "*"), str(tag.case or "*"), p)
            if "NOUN" in tag:
                nouns.append(reading)
            if not p.is_known and ("Patr" in tag or "Name" in tag):
                other.append(reading)  # a guessed -вич/-ич word declines like a surname
            elif "Name" in tag:
                name.append(reading)
            elif "Surn" in tag:
                surn.append(reading)
            elif "Patr" in tag:
                patr.append(reading)
            elif "ADJF" in tag:
                adj.append(reading)
            elif "NOUN" in tag and not p.is_known:
                other.append(reading)
        top = parses[0] if parses else None
        common = bool(
            top is not None
            and top.is_known
            and not ({"Name", "Surn", "Patr"} & set(top.tag.grammemes))
            and top.score >= 0.5
        )
        # A word read as a name only by the guesser (an unknown word) is not a name.
        if not known:
            name, patr = [], []
        return _Morph(
            tuple(name), tuple(surn), tuple(patr), tuple(adj), tuple(other), tuple(nouns), known, common
        )

    @staticmethod
    def _be_name(words: list[str], i: int) -> tuple[int, str, str, str] | None:
        first = _BE_NAMES.get(words[i].lower())
        if first is not None and i + 1 < len(words):
            nom, gender, cases = first
            surname = _be_nominative(words[i + 1], gender, "nomn" in cases and len(cases) == 1)
            if surname and _BE_NAMES.get(words[i + 1].lower()) is None:
                return 2, f"{nom} {surname}", surname.lower(), "name"
        if first is None and _be_surname_shape(words[i]):
            gender = "femn" if words[i].lower().endswith(("ая", "ай", "ую", "ава", "авай", "ова")) else "masc"
            surname = _be_nominative(words[i], gender, False)
            if surname:
                return 1, surname, surname.lower(), "role-surname"
        return None

    # ------------------------------------------------------------------------------ linking
    def _link_surnames(
        self, text: str, people: dict[str, PersonFound], surnames: dict[str, str], blocked: Sequence[Span]
    ) -> None:
        """Add later surname-only mentions ("Losik", «Лосіка») of people found with a full name."""
        if not surnames:
            return
        taken = sorted(span for p in people.values() for span in p.mentions)
        prefixes = [(_stem(s), key) for s, key in surnames.items() if len(s) >= 4 and _CYRILLIC.match(s)]
        for m in _LATIN_TOKEN.finditer(text):
            word = m.group()
            if not word[0].isupper():
                continue
            low = word.lower()
            if low.endswith(("'s", "’s")):
                low = low[:-2]
            key = surnames.get(low)
            if key is None and prefixes and _CYRILLIC.match(word):  # «Вертинского» for «Вертинский»
                key = next(
                    (k for stem, k in prefixes if low.startswith(stem) and len(low) - len(stem) <= 4), None
                )
            if key is None:
                continue
            span = (m.start(), m.end())
            if _overlaps(span, taken) or _overlaps(span, blocked):
                continue
            people[key].mentions.append(span)
            people[key].surfaces.append(word)


def _load_analyzers() -> dict[str, Any]:
    import pymorphy3

    return {lang: pymorphy3.MorphAnalyzer(lang=lang) for lang in ("ru", "uk")}


def _sentence_start(text: str, start: int) -> bool:
    head = text[max(0, start - 5) : start].rstrip(" \t\"'«“„‘(")
    return not head or head[-1] in _SENTENCE_PUNCT or head[-1] in "•*–—"  # a bullet or a dash


def _title_case(title: str) -> bool:
    """More than half of the longer words capitalised: a headline in title case."""
    words = [w for w in re.findall(r"[^\W\d_]{4,}", title)]
    return len(words) >= 2 and sum(w[0].isupper() for w in words) * 2 > len(words)


def _coordinate(text: str, names: list[NameFound]) -> list[NameFound]:
    """Names joined by "and" or commas share their rule: "journalists A B and C D were jailed"."""
    rules = [n.rule for n in names]
    for order in (range(1, len(names)), range(len(names) - 2, -1, -1)):
        for i in order:
            j = i - 1 if order.step == 1 else i + 1
            a, b = (names[j], names[i]) if j < i else (names[i], names[j])
            if rules[i] or not rules[j] or " " not in names[i].surface:
                continue
            if _COORDINATION.match(text[a.span[1] : b.span[0]]):
                rules[i] = "coordination"
    return [
        NameFound(n.span, n.surface, n.native, n.latin, n.language, rule, n.surname)
        for n, rule in zip(names, rules, strict=True)
        if rule
    ]


def _latin_bad(word: str, lowered: set[str]) -> bool:
    """A capitalised word that is no part of a person's name (see ``_LATIN_STOP``)."""
    low = word.lower()
    if low.endswith(("'s", "’s")):
        low = low[:-2]
    if low in _LATIN_STOP or low in lowered:
        return True
    return len(word) > 1 and word.isupper()  # acronyms: KGB, OMON, RFE


def _acronym(word: str) -> bool:
    """«ГУБОПиК», «МВД», «КДБ»: a capital after the first letter of a word part (not «Кара-Мурза»)."""
    return any(any(ch.isupper() for ch in part[1:]) for part in word.split("-"))


def _adjectival_surname(word: str) -> bool:
    low = word.lower()
    return low.endswith(
        ("ский", "ского", "скому", "ским", "ском", "ская", "ской", "скую", "цкий", "цкого", "цкая", "цкой",
         "ський", "ського", "ська", "ської", "цький", "цька")
    )  # fmt: skip


def _be_surname_shape(word: str) -> bool:
    low = word.lower()
    return len(low) > 3 and low.endswith(
        ("скі", "цкі", "скага", "цкага", "віч", "віча", "ская", "скай", "цкая", "енка", "енку", "енкі",
         "ёнак", "аў", "ава", "авай", "ёў", "ёва", "ук", "юк", "чык", "ік", "іка", "ыка", "ыкі")
    )  # fmt: skip


def _be_nominative(word: str, gender: str, nominative: bool) -> str:
    """Nominative of a Belarusian surname by its ending (``Бяляцкага`` -> ``Бяляцкі``)."""
    if not _CYRILLIC.match(word) or len(word) < 3:
        return ""
    if nominative:
        return _title(word)
    low = word.lower()
    for ending, replacement in _BE_SURNAME_RULES.get(gender, ()):
        if low.endswith(ending) and len(low) - len(ending) >= 3:
            base = low[: len(low) - len(ending)] + replacement
            if replacement == "" and base[-1] in "аеёіоуыэюяў":
                continue
            if ending in ("ка", "ку", "кам") and base[-2] not in "аеёіоуыэюяўснрлйшжчц":
                base = base[:-1] + "о" + base[-1]  # a fleeting vowel: Дзядка -> Дзядок
            elif replacement == "" and base[-1] == "ц" and base[-2] not in "аеёіоуыэюяўй":
                base = base[:-1] + "е" + base[-1]  # Сеўярынца -> Сеўярынец
            return _title(base)
    return _title(low)


_FALLBACK_ENDINGS = {
    "femn": (("ою", "а"), ("ой", "а"), ("ої", "а"), ("ій", "а"), ("у", "а"), ("ю", "я")),
    "masc": (("им", ""), ("ым", ""), ("ом", ""), ("ем", ""), ("ові", ""), ("ову", ""), ("ю", "ь"),
             ("я", "ь"), ("у", ""), ("а", "")),
}  # fmt: skip


def _fallback_surname(word: str, gender: str, case: str) -> str:
    """Nominative of a surname whose dictionary readings do not agree with the first name."""
    low = word.lower()
    if case != "nomn":
        for ending, replacement in _FALLBACK_ENDINGS.get(gender, ()):
            if low.endswith(ending) and len(low) - len(ending) >= 3:
                low = low[: len(low) - len(ending)] + replacement
                break
    return _title(low)


def _stem(word: str) -> str:
    return word[: max(4, len(word) - 2)]


def _overlaps(span: Span, spans: Sequence[Span]) -> bool:
    return any(a < span[1] and span[0] < b for a, b in spans)


def _snippet(text: str, bounds: Sequence[int], span: Span) -> Span:
    """The sentence around ``span``, cut to ``_SNIPPET`` characters centred on it."""
    index = sentence_index(bounds, span[0])
    start = bounds[index - 1] if index > 0 else 0
    end = bounds[index] if index < len(bounds) else len(text)
    para = text.rfind("\n", start, span[0])
    start = max(start, para + 1)
    nl = text.find("\n", span[1], end)
    end = nl if nl != -1 else end
    if end - start > _SNIPPET:
        centre = (span[0] + span[1]) // 2
        start = max(start, centre - _SNIPPET // 2)
        end = min(end, start + _SNIPPET)
    while end > start and text[end - 1].isspace():
        end -= 1
    while start < end and text[start].isspace():
        start += 1
    return (start, end)
