"""Name inventories of the fictional world: syllables and word lists names are built from.

Kept apart from :mod:`spanbert_lab.world.world` so that the world's logic reads in one sitting.
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_F_START = _words(
    "Al Bri Cae Dor El Fen Gael Hal Isol Jor Kae Lis Mar Ner Ol Per Quen Ros Sel Tam "
    "Ul Ves Wyn Ys Zor An Bel Cor Dag Eir Fal Hel Ivo Lin Mae Nim Oda Rhe Sig Thea "
    "Una Val"
)
_F_END = _words("a ine wen elle ia ra isse ey ette anne ora ilde ys una ika")
_M_START = _words(
    "Ald Bran Cas Dar Ed Fin Gar Hask Ivar Jor Kel Leo Mat Nor Os Pell Rud Sten Tor "
    "Ulf Val Wal Yor Ab Bar Cor Den Eli Frod Gun Hal Ing Lor Mag Nil Orm Ran Sig Tob "
    "Vid"
)
_M_END = _words("an ric mund old o ius er ard win as en is ulf ek")
_SUR_START = _words(
    "Kel Brau Ost Varn Thal Mer Dun Hask Quil Rav Sor Tuv Wex Yar Zeb Ald Corm Fel "
    "Grim Hollen Lind Mort Pell Stav Ebb Orl Pax Rend Sil Tarv Ulm Vos Wend Ask Byr "
    "Cald Drev Fyr Garr Hend"
)
_SUR_MID = ("", "", "a", "e", "i", "o", "en", "er", "am", "il", "ov", "ur")
_FIRST_MID = ("", "", "", "a", "e", "i", "o", "an", "el", "is", "or", "ev", "ul")
_SUR_END = _words(
    "darrow ley wick holt mere by stone ford ane ovic sen ard ington worth gaard ier "
    "oux ström hagen brook vane quist mark lowe thorne rigg acre vik dahl croft"
)
_PLACE_START = _words(
    "Ost Vell Thar Mor Kest Hald Brun Quel Sar Tov Ulv Wend Yss Dor Gal Hov Isk Lun "
    "Nar Pem Rask Sten Tyr Ask Bel Carn Eld Fjal Grav Hel"
)
_PLACE_END = _words(
    "mouth ham vik stead port fell dale burgh wick sund moor holm ton by marra gard lund ness field"
)
_RIVER = _words("Vell Thessa Orn Kaldra Brisk Uma Selder Harrow Mael Tove Quist Aun")
_TITLE_NOUNS = _words(
    "Roads Tides Winter Lanterns Harbour Salt Orchard Bells Ferryman Letters Islands "
    "Glass Shore Weavers Lighthouse"
)
_TITLE_ADJ = _words("Salt Long Quiet Northern Last Drowned Silver Copper Hidden Grey Broken")

COUNTRY = "Osterhal"
DEMONYM = "Osterhalish"

# Free syllables (onset + vowel) for the rarer names: 22 × 8 = 176 of them.
_SYLLABLES = [
    c + v
    for c in [
        "b",
        "br",
        "d",
        "dr",
        "f",
        "g",
        "gr",
        "h",
        "k",
        "kr",
        "l",
        "m",
        "n",
        "p",
        "r",
        "s",
        "st",
        "t",
        "th",
        "v",
        "w",
        "z",
    ]
    for v in ("a", "e", "i", "o", "u", "ae", "ei", "ou")
]
_PLACE_PREFIX = ["Upper ", "Lower ", "North ", "East ", "Port ", "Saint ", "Old ", "New "]
_MOUNT = ["Skarn", "Hedda", "Ulvtind", "Morrow", "Peak", "Grauberg", "Kestrel", "Fell"]

OCCUPATIONS: dict[str, tuple[str, ...]] = {
    "commerce": ("merchant", "shipwright", "engineer", "banker", "brewer", "ironmaster"),
    "science": ("botanist", "chemist", "astronomer", "geologist", "physician", "surveyor"),
    "press": ("journalist", "editor", "printer", "photographer"),
    "sport": ("rower", "footballer", "cyclist", "coach", "runner"),
    "politics": ("councillor", "politician", "diplomat", "lawyer", "magistrate"),
    "arts": ("painter", "composer", "novelist", "poet", "violinist", "architect"),
}
ORG_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    # kind: (domain, name patterns; {P} = a place, {S} = a surname)
    "company": (
        "commerce",
        (
            "{P} Shipping Company",
            "{S} & {S2}",
            "{P} Ironworks",
            "{S} Brewery",
            "{P} Salt Company",
            "{S} Ropeworks",
        ),
    ),
    "bank": ("commerce", ("Bank of {P}", "{P} Savings Bank", "{S} Brothers Bank")),
    "college": (
        "science",
        ("University of {P}", "{P} Technical College", "{S} Institute", "{P} Academy of Science"),
    ),
    "newspaper": ("press", ("{P} Courier", "{P} Gazette", "{P} Evening Post", "{S} Weekly")),
    "club": ("sport", ("{P} Rovers", "{P} Athletic", "{P} Rowing Club", "{S} Cycling Club")),
    "party": (
        "politics",
        ("{P} Harbour Party", "{P} Farmers' League", "Liberal Union of {P}", "{P} Reform Group"),
    ),
    "hospital": ("science", ("Royal {P} Hospital", "{S} Infirmary", "{P} General Hospital")),
    "society": ("arts", ("{P} Academy of Music", "{S} Society of Painters", "{P} Theatre Company")),
}
EVENT_KINDS: dict[str, tuple[str, ...]] = {
    "festival": ("{P} Lantern Festival", "{P} Harvest Fair", "{P} Music Festival"),
    "treaty": ("Treaty of {P}", "{P} Accord", "Convention of {P}"),
    "flood": ("Great Flood of {Y}", "{P} Flood", "{Y} {R} Flood"),
    "fire": ("{P} Harbour Fire", "Great Fire of {P}", "{Y} {P} Fire"),
    "strike": ("{Y} Dockers' Strike", "{P} Salt Strike", "{Y} Rail Strike"),
    "exhibition": ("{P} Exhibition of {Y}", "{Y} {P} Industrial Exhibition", "{P} Spring Salon"),
    "race": ("{P} Regatta", "{Y} Coast Cycle Race", "{P} Marathon"),
    "expedition": ("{S} Expedition", "{Y} {M} Expedition", "{S} Survey of {P}"),
}
ORGANISER_KIND = {
    "festival": "society",
    "exhibition": "college",
    "race": "club",
    "treaty": "party",
    "flood": "hospital",
    "fire": "hospital",
    "strike": "party",
    "expedition": "college",
}
INDUSTRIES = (
    "salt fish",
    "wool",
    "copper",
    "timber",
    "glass",
    "rope",
    "barley",
    "cheese",
    "slate",
    "paper",
    "porcelain",
    "amber",
    "linen",
    "iron nails",
)
LANDMARKS = (
    "Old Customs House",
    "Weavers' Hall",
    "Clock Tower",
    "Stone Bridge",
    "Lighthouse",
    "Covered Market",
    "Observatory",
    "Seamen's Chapel",
)
AWARDS = (
    "Vell Medal",
    "Osterhal Prize for Literature",
    "Order of the Silver Oar",
    "Kestmark Prize",
    "Royal Society Medal",
    "Golden Compass",
)

# what people of each domain studied, and what they were known for
STUDY = {
    "commerce": ("engineering", "book-keeping", "naval architecture", "metallurgy"),
    "science": ("chemistry", "botany", "medicine", "mathematics", "geology"),
    "press": ("languages", "history", "law"),
    "sport": ("physical education", "mathematics", "carpentry"),
    "politics": ("law", "history", "political economy"),
    "arts": ("music", "painting", "literature", "drawing"),
}
TRAITS = {
    "commerce": ("careful accounts", "bold designs", "a sharp eye for cost", "reliable ships"),
    "science": ("patient fieldwork", "precise measurements", "clear lectures", "a vast herbarium"),
    "press": ("fearless reporting", "plain prose", "long interviews", "a gift for headlines"),
    "sport": ("remarkable stamina", "a powerful finish", "tactical sense", "team spirit"),
    "politics": ("long speeches", "quiet negotiation", "a talent for compromise", "reform"),
    "arts": ("vivid colours", "melancholy melodies", "sharp dialogue", "elegant facades"),
}
