/* commands.c: concertctl's subcommands, one row each: NOUN VERB, the op it
 * sends, its positional arguments and its options, with their help in
 * French and English. Plugins' ops need no row: "NOUN VERB --option"
 * reaches any op the daemon lists (concertctl.c). */
#include "commands.h"

static const opt plan_sel[] = {{"plan", 'i', NULL, "id du plan (défaut: le plan actif de la région)",
                                "plan id (default: the region's active plan)"},
                               {NULL, 0, NULL, NULL, NULL}};
static const opt ent_sel[] = {{"plan", 'i', NULL, "id du plan (défaut: le plan actif de la région)",
                               "plan id (default: the region's active plan)"},
                              {"id", 'i', NULL, "id interne stable (remplace RÉGION NUMÉRO)",
                               "stable internal id (instead of REGION NUMBER)"},
                              {NULL, 0, NULL, NULL, NULL}};
static const opt delete_opts[] = {{"plan", 'i', NULL, "id du plan (défaut: le plan actif de la région)",
                                   "plan id (default: the region's active plan)"},
                                  {"id", 'i', NULL, "id interne stable (remplace RÉGION NUMÉRO)",
                                   "stable internal id (instead of REGION NUMBER)"},
                                  {"yes", 'f', NULL, "sans demander de confirmation", "without asking for confirmation"},
                                  {NULL, 0, NULL, NULL, NULL}};
static const opt region_delete_opts[] = {
    {"purge", 'f', NULL, "l'effacer pour de bon, avec tout ce qui s'y rapporte (sinon : archivée)",
     "erase it for good, with all that concerns it (otherwise: archived)"},
    {"yes", 'f', NULL, "sans demander de confirmation", "without asking for confirmation"},
    {NULL, 0, NULL, NULL, NULL}};
static const opt region_list_opts[] = {
    {"archived", 'f', NULL, "avec les régions archivées", "with the archived regions"}, {NULL, 0, NULL, NULL, NULL}};
static const opt region_opts[] = {
    {"name", 's', NULL, "nom (ex.: Lanaudière)", "name (e.g. Lanaudière)"},
    {"organisation", 's', NULL, "organisation porteuse (ex.: TPDSL)", "organisation (e.g. TPDSL)"},
    {"kind", 's', NULL, "local, regional ou national", "local, regional or national"},
    {"territory", 'l', "territories", "territoire (MRC), répétable", "territory (MRC), repeatable"},
    {"remind-days", 'l', "remind_days", "rappel N jours avant une échéance, répétable (défaut 30, 7, 1)",
     "reminder N days before an échéance, repeatable (default 30, 7, 1)"},
    {"remind-overdue", 's', "remind_overdue", "rappel le lendemain d'une échéance passée: true ou false",
     "reminder the day after an échéance passed: true or false"},
    {"follow-up-days", 'i', "follow_up_days", "échéances en continu ou sur demande: un rappel tous les N jours (0: aucun)",
     "ongoing or on-demand échéances: a reminder every N days (0: none)"},
    {NULL, 0, NULL, NULL, NULL}};
static const opt plan_opts[] = {
    {"title", 's', NULL, "titre (ex.: Plan d'action 2018-2023)", "title"},
    {"period", 's', NULL, "période (ex.: 2018-2023)", "period (e.g. 2018-2023)"},
    {"start", 'd', "start_date", "début (AAAA-MM-JJ)", "start (YYYY-MM-DD)"},
    {"end", 'd', "end_date", "fin (AAAA-MM-JJ)", "end (YYYY-MM-DD)"},
    {"adopted", 'd', "adopted_on", "adopté le (AAAA-MM-JJ)", "adopted on (YYYY-MM-DD)"},
    {"mission", 's', NULL, "mission", "mission"},
    {"mandate", 'l', "mandates", "mandat, répétable (numérotés 1, 2, …)", "mandate, repeatable (numbered 1, 2, …)"},
    {"plan", 'i', NULL, "id du plan", "plan id"},
    {NULL, 0, NULL, NULL, NULL}};
static const opt orientation_opts[] = {
    {"statement", 's', NULL, "énoncé de l'orientation", "the orientation's statement"},
    {"new-number", 's', NULL, "nouveau numéro", "new number"},
    {"plan", 'i', NULL, "id du plan", "plan id"},
    {NULL, 0, NULL, NULL, NULL}};
static const opt objective_opts[] = {
    {"text", 's', NULL, "texte de l'objectif", "the objective's text"},
    {"orientation", 's', NULL, "numéro de l'orientation", "orientation number"},
    {"mandate", 'l', "mandates", "mandat visé, répétable", "mandate referred to, repeatable"},
    {"new-number", 's', NULL, "nouveau numéro", "new number"},
    {"plan", 'i', NULL, "id du plan", "plan id"},
    {NULL, 0, NULL, NULL, NULL}};
static const opt action_opts[] = {
    {"objective", 's', NULL, "numéro de l'objectif", "objective number"},
    {"text", 's', NULL, "texte de l'action", "the action's text"},
    {"target", 'l', "targets", "cible, répétable", "target audience, repeatable"},
    {"schedule", 's', NULL, "échéance telle qu'écrite (ex.: Automne 2013)", "schedule as written"},
    {"window", 'w', "windows", "fenêtre DÉBUT..FIN (ou ongoing, on_demand), répétable",
     "window START..END (or ongoing, on_demand), repeatable"},
    {"expected", 's', "expected_result", "résultat attendu", "expected result"},
    {"responsible", 's', NULL, "responsable", "responsible"},
    {"priority", 's', NULL, "priorité", "priority"},
    {"new-number", 's', NULL, "nouveau numéro", "new number"},
    {"plan", 'i', NULL, "id du plan", "plan id"},
    {NULL, 0, NULL, NULL, NULL}};
static const opt action_list_opts[] = {
    {"status", 's', NULL, "planned, in_progress, done, ongoing, postponed, cancelled", "status filter"},
    {"objective", 's', NULL, "numéro de l'objectif", "objective number"},
    {"responsible", 's', NULL, "responsable (partie du nom)", "responsible (part of the name)"},
    {"plan", 'i', NULL, "id du plan", "plan id"},
    {NULL, 0, NULL, NULL, NULL}};
static const opt status_opts[] = {
    {"note", 's', NULL, "note de suivi", "progress note"},
    {"date", 'd', NULL, "date (défaut: aujourd'hui)", "date (default: today)"},
    {"plan", 'i', NULL, "id du plan", "plan id"},
    {NULL, 0, NULL, NULL, NULL}};
static const opt note_opts[] = {{"date", 'd', NULL, "date (défaut: aujourd'hui)", "date (default: today)"},
                                {"plan", 'i', NULL, "id du plan", "plan id"},
                                {NULL, 0, NULL, NULL, NULL}};
static const opt indicator_opts[] = {
    {"name", 's', NULL, "nom (ex.: Nombre de membres)", "name (e.g. Number of members)"},
    {"action", 's', NULL, "numéro de l'action suivie", "number of the action it follows"},
    {"unit", 's', NULL, "unité", "unit"},
    {"target", 'n', NULL, "valeur cible (ex.: 200)", "target value (e.g. 200)"},
    {"target-date", 'd', NULL, "date de la cible", "target date"},
    {"baseline", 'n', NULL, "point de départ", "baseline"},
    {"plan", 'i', NULL, "id du plan", "plan id"},
    {NULL, 0, NULL, NULL, NULL}};
static const opt record_opts[] = {{"date", 'd', NULL, "date de la mesure (défaut: aujourd'hui)", "date (default: today)"},
                                  {"note", 's', NULL, "note", "note"},
                                  {NULL, 0, NULL, NULL, NULL}};
static const opt events_opts[] = {{"since", 'i', NULL, "après ce numéro de séquence", "after this sequence number"},
                                  {"limit", 'i', NULL, "nombre maximal (défaut 1000)", "at most this many (default 1000)"},
                                  {"region", 's', NULL, "une seule région", "one region only"},
                                  {"origin", 's', NULL, "les événements de ce nœud-là (défaut : celui-ci)",
                                   "that node's events (default: this one)"},
                                  {NULL, 0, NULL, NULL, NULL}};
static const opt history_opts[] = {{"limit", 'i', NULL, "combien de changements (50 par défaut)", "how many changes (50 by default)"},
                                   {NULL, 0, NULL, NULL, NULL}};
static const opt echeance_opts[] = {
    {"region", 's', NULL, "une seule région", "one region only"},
    {"from", 'd', NULL, "à partir de (défaut: aujourd'hui)", "from (default: today)"},
    {"to", 'd', NULL, "jusqu'à", "until"},
    {"unparsed", 'f', NULL, "les échéances qui n'ont pu être lues en dates", "schedules that could not be read as dates"},
    {"all", 'f', "include_closed", "inclut les actions réalisées ou annulées", "include done or cancelled actions"},
    {"overdue", 'f', NULL, "seulement ce qui est en retard", "only what is overdue"},
    {NULL, 0, NULL, NULL, NULL}};
static const opt reminder_opts[] = {
    {"region", 's', NULL, "une seule région", "one region only"},
    {"state", 's', NULL, "pending (défaut: à venir), sent (envoyés) ou skipped (sautés)",
     "pending (default), sent or skipped"},
    {"limit", 'i', NULL, "au plus N lignes (défaut 100)", "at most N rows (default 100)"},
    {NULL, 0, NULL, NULL, NULL}};
static const opt parse_opts[] = {{"plan-start", 'd', NULL, "début du plan, pour « an 1 »", "plan start, for \"an 1\""},
                                 {NULL, 0, NULL, NULL, NULL}};
static const opt plan_list_opts[] = {{"all", 'f', "include_archived", "inclut les plans archivés", "include archived plans"},
                                     {NULL, 0, NULL, NULL, NULL}};
static const opt no_opts[] = {{NULL, 0, NULL, NULL, NULL}};
static const opt import_opts[] = {
    {"region", 's', NULL, "région où importer (obligatoire)", "region to import into (required)"},
    {"format", 's', NULL,
     "table (texte copié de Word/PDF), csv ou document (JSON exporté); défaut: selon l'extension, et un document "
     "Word, LibreOffice ou un classeur (.docx, .odt, .xlsx, .ods) est reconnu à son contenu",
     "table (text copied from Word/PDF), csv or document (exported JSON); default: from the extension, and a Word or "
     "LibreOffice document or a spreadsheet (.docx, .odt, .xlsx, .ods) is known by its content"},
    {"sheet", 's', NULL, "la feuille du classeur où est le plan (la première sinon)",
     "the spreadsheet's sheet holding the plan (the first otherwise)"},
    {"dry-run", 'f', NULL, "montre ce qui serait créé, sans rien enregistrer", "shows what would be created, saving nothing"},
    {"plan-start", 'd', NULL, "début du plan (AAAA-MM-JJ), pour lire « an 1 »", "plan start (YYYY-MM-DD), to read \"an 1\""},
    {"title", 's', NULL, "titre du plan, s'il n'est pas dans le fichier", "the plan's title, when the file lacks it"},
    {NULL, 0, NULL, NULL, NULL}};
static const opt overview_opts[] = {
    {"format", 's', NULL, "csv : un tableau pour un tableur (sur la sortie)", "csv: a table for a spreadsheet (to stdout)"},
    {NULL, 0, NULL, NULL, NULL}};
static const opt export_opts[] = {
    {"plan", 'i', NULL, "id du plan (défaut: le plan actif de la région)", "plan id (default: the region's active plan)"},
    {"format", 's', NULL, "document (JSON, défaut) ou csv", "document (JSON, default) or csv"},
    {NULL, 0, NULL, NULL, NULL}};

static const opt report_opts[] = {
    {"plan", 'i', NULL, "id du plan (défaut: le plan actif de la région)", "plan id (default: the region's active plan)"},
    {"from", 'd', NULL, "début de la période (AAAA-MM-JJ ; défaut : un an avant --to)",
     "start of the period (YYYY-MM-DD; default: a year before --to)"},
    {"to", 'd', NULL, "fin de la période (AAAA-MM-JJ ; défaut : aujourd'hui)", "end of the period (default: today)"},
    {"format", 's', NULL,
     "odt (LibreOffice, Word ; défaut), docx (Word, LibreOffice) ou html (pour un navigateur, imprimable) ; "
     "défaut : selon l'extension de --output",
     "odt (LibreOffice, Word; default), docx (Word, LibreOffice) or html (for a browser, printable); default: "
     "from --output's extension"},
    {"output", 's', "_output", "le fichier où l'écrire (défaut : bilan-RÉGION-DATE.odt ici)",
     "the file to write it to (default: bilan-REGION-DATE.odt here)"},
    {NULL, 0, NULL, NULL, NULL}};

static const opt search_opts[] = {{"region", 's', NULL, "une seule région", "one region only"}, {0}};

const command ctl_commands[] = {
    {"info", "", "node.info", {0}, "", no_opts, "identité du démon et opérations", "daemon identity and operations"},
    {"status", "", "node.status", {0}, "", no_opts,
     "ce qu'un exploitant surveille : base, commandes et latence, fédération, rappels, greffons",
     "what an operator watches: database, commands and latency, federation, reminders, plugins"},
    {"region", "list", "region.list", {0}, "", region_list_opts, "liste les régions", "lists the regions"},
    {"region", "show", "region.get", {"id"}, "s", no_opts, "montre une région", "shows a region"},
    {"region", "overview", "region.overview", {0}, "", overview_opts,
     "toutes les régions d'un coup d'œil : avancement, prochaine échéance, membres, origine",
     "every region at a glance: progress, next échéance, members, origin"},
    {"region", "create", "region.create", {"id"}, "s", region_opts, "crée une région (ID: ex. lanaudiere)",
     "creates a region (ID: e.g. lanaudiere)"},
    {"region", "update", "region.update", {"id"}, "s", region_opts, "modifie une région", "updates a region"},
    {"region", "delete", "region.delete", {"id"}, "s", region_delete_opts,
     "archive une région (--purge : l'efface pour de bon ; demande confirmation, --yes pour un script)",
     "archives a region (--purge: erases it for good; asks for confirmation, --yes for a script)"},
    {"region", "restore", "region.restore", {"id"}, "s", no_opts, "rouvre une région archivée",
     "reopens an archived region"},
    {"plan", "list", "plan.list", {"region"}, "s", plan_list_opts, "liste les plans (d'une région)", "lists plans"},
    {"plan", "show", "plan.get", {"region"}, "s", plan_sel, "montre le plan actif d'une région",
     "shows a region's active plan"},
    {"plan", "create", "plan.create", {"region"}, "s", plan_opts, "crée un plan d'action", "creates an action plan"},
    {"plan", "update", "plan.update", {"region"}, "s", plan_opts, "modifie un plan", "updates a plan"},
    {"plan", "archive", "plan.archive", {"region"}, "s", plan_sel, "archive un plan", "archives a plan"},
    {"plan", "report", "plan.report", {"region"}, "s", report_opts,
     "écrit le bilan du plan pour l'AGA : actions, échéances, notes, indicateurs, activités, membres "
     "(.odt, .docx ou HTML)",
     "writes the plan's yearly report: actions, échéances, notes, indicators, activities, members "
     "(.odt, .docx or HTML)"},
    {"plan", "export", "plan.export", {"region"}, "s", export_opts, "exporte le plan en JSON ou CSV (sur la sortie)",
     "exports the plan as JSON or CSV (to stdout)"},
    {"plan", "import", "plan.import", {"region", "file"}, "st", import_opts,
     "importe un plan dans une région : document Word ou LibreOffice, classeur, tableau copié, CSV ou JSON exporté "
     "(= import --region)",
     "imports a plan into a region: Word or LibreOffice document, spreadsheet, copied table, CSV or exported JSON "
     "(= import --region)"},
    {"import", "", "plan.import", {"file"}, "t", import_opts,
     "importe un plan : document Word ou LibreOffice (.docx, .odt), classeur (.xlsx, .ods), tableau copié en texte, "
     "CSV ou JSON exporté (met à jour le plan de même titre)",
     "imports a plan: Word or LibreOffice document (.docx, .odt), spreadsheet (.xlsx, .ods), table copied as text, CSV "
     "or exported JSON (updates the plan of the same title)"},
    {"orientation", "list", "orientation.list", {"region"}, "s", plan_sel, "liste les orientations", "lists orientations"},
    {"orientation", "show", "orientation.get", {"region", "number"}, "sn", ent_sel, "montre une orientation",
     "shows an orientation"},
    {"orientation", "create", "orientation.create", {"region", "number"}, "sn", orientation_opts,
     "ajoute une orientation", "adds an orientation"},
    {"orientation", "update", "orientation.update", {"region", "number"}, "sn", orientation_opts,
     "modifie une orientation", "updates an orientation"},
    {"orientation", "delete", "orientation.delete", {"region", "number"}, "sn", ent_sel, "supprime une orientation",
     "deletes an orientation"},
    {"objective", "list", "objective.list", {"region"}, "s", objective_opts, "liste les objectifs", "lists objectives"},
    {"objective", "show", "objective.get", {"region", "number"}, "sn", ent_sel, "montre un objectif",
     "shows an objective"},
    {"objective", "create", "objective.create", {"region", "number"}, "sn", objective_opts, "ajoute un objectif",
     "adds an objective"},
    {"objective", "update", "objective.update", {"region", "number"}, "sn", objective_opts, "modifie un objectif",
     "updates an objective"},
    {"objective", "delete", "objective.delete", {"region", "number"}, "sn", ent_sel, "supprime un objectif",
     "deletes an objective"},
    {"action", "list", "action.list", {"region"}, "s", action_list_opts, "liste les actions", "lists actions"},
    {"action", "search", "action.search", {"q"}, "s", search_opts,
     "les actions de toutes les régions qui contiennent ces mots, avec leur état",
     "actions of every region containing these words, with their state"},
    {"action", "show", "action.get", {"region", "number"}, "sn", ent_sel, "montre une action et son suivi",
     "shows an action and its follow-up"},
    {"action", "create", "action.create", {"region", "number"}, "sn", action_opts, "ajoute une action",
     "adds an action"},
    {"action", "update", "action.update", {"region", "number"}, "sn", action_opts, "modifie une action",
     "updates an action"},
    {"action", "delete", "action.delete", {"region", "number"}, "sn", delete_opts,
     "supprime une action (demande confirmation ; --yes pour un script)",
     "deletes an action (asks for confirmation; --yes for a script)"},
    {"action", "status", "action.set_status", {"region", "number", "status"}, "sns", status_opts,
     "change l'état (planned, in_progress, done, ongoing, postponed, cancelled)",
     "changes the status (planned, in_progress, done, ongoing, postponed, cancelled)"},
    {"action", "note", "action.note", {"region", "number", "text"}, "sns", note_opts, "ajoute une note de suivi",
     "adds a progress note"},
    {"indicator", "list", "indicator.list", {"region"}, "s", plan_sel, "liste les indicateurs", "lists indicators"},
    {"indicator", "create", "indicator.create", {"region"}, "s", indicator_opts, "ajoute un indicateur",
     "adds an indicator"},
    {"indicator", "record", "indicator.record", {"id", "value"}, "iv", record_opts, "enregistre une mesure",
     "records a measurement"},
    {"indicator", "history", "indicator.history", {"id"}, "i", no_opts, "historique d'un indicateur",
     "an indicator's history"},
    {"events", "", "events.since", {0}, "", events_opts, "rejoue le journal des événements", "replays the event log"},
    {"history", "", "events.history", {"region", "number"}, "sn", history_opts,
     "qui a changé quoi, quand, de quoi à quoi (une région, ou une de ses actions)",
     "who changed what, when, from what to what (a region, or one of its actions)"},
    {"undo", "", "events.undo", {"seq"}, "i", no_opts,
     "annule un changement par son n° (concertctl history), ou votre dernier changement",
     "undoes a change by its number (concertctl history), or your last change"},
    {"echeances", "", "echeance.list", {0}, "", echeance_opts,
     "ce qui est en retard, puis ce qui vient à échéance d'ici 90 jours (--from/--to : une période)",
     "what is overdue, then what comes due within 90 days (--from/--to: a period)"},
    {"echeances", "parse", "echeance.parse", {"text"}, "s", parse_opts, "montre comment une échéance est lue",
     "shows how a schedule text is read"},
    {"echeances", "reminders", "echeance.reminders", {0}, "", reminder_opts, "les rappels prévus, le plus proche d'abord",
     "the reminders armed, soonest first"},
};
const size_t ctl_ncommands = sizeof ctl_commands / sizeof ctl_commands[0];
