//! The translation table: every visible string of the web UI, in English, German, Italian, Brazilian
//! Portuguese and Russian. Templates name a key (`me.t("nav.calls")`); no English literal sits in a
//! template. A key missing from the table shows as the key itself, and a unit test fails.

/// A language of the UI, chosen per user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
    It,
    PtBr,
    Ru,
}

impl Lang {
    pub const ALL: [Lang; 5] = [Lang::En, Lang::De, Lang::It, Lang::PtBr, Lang::Ru];

    /// The code stored per user and in `office.language`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::It => "it",
            Lang::PtBr => "pt-BR",
            Lang::Ru => "ru",
        }
    }

    /// The language's own name, for the chooser.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::De => "Deutsch",
            Lang::It => "Italiano",
            Lang::PtBr => "Português (Brasil)",
            Lang::Ru => "Русский",
        }
    }

    /// Reads a stored code or an `Accept-Language` tag (`de-AT` is German, `pt` is Brazilian Portuguese).
    pub fn from_code(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        let base = s.split(['-', '_']).next().unwrap_or("");
        Some(match base {
            "en" => Lang::En,
            "de" => Lang::De,
            "it" => Lang::It,
            "pt" => Lang::PtBr,
            "ru" => Lang::Ru,
            _ => return None,
        })
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The text for `key` in this language (English if a translation is empty, the key if unknown).
    pub fn t(self, key: &'static str) -> &'static str {
        match TABLE.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(i) => {
                let row = &TABLE[i].1;
                let s = row[self.index()];
                if s.is_empty() {
                    row[0]
                } else {
                    s
                }
            }
            Err(_) => key,
        }
    }
}

/// Sorted by key (binary search); columns en, de, it, pt-BR, ru.
static TABLE: &[(&str, [&str; 5])] = &[
    ("action.copied", ["Copied", "Kopiert", "Copiato", "Copiado", "Скопировано"]),
    ("action.copy", ["Copy", "Kopieren", "Copia", "Copiar", "Копировать"]),
    ("action.export_csv", ["Export CSV", "CSV exportieren", "Esporta CSV", "Exportar CSV", "Экспорт CSV"]),
    ("action.filter", ["Filter", "Filtern", "Filtra", "Filtrar", "Фильтр"]),
    ("action.more", ["More", "Mehr", "Altri", "Mais", "Ещё"]),
    ("action.older", ["Older calls", "Ältere Anrufe", "Chiamate precedenti", "Chamadas anteriores", "Более ранние звонки"]),
    ("action.open", ["Open", "Öffnen", "Apri", "Abrir", "Открыть"]),
    ("action.save", ["Save", "Speichern", "Salva", "Salvar", "Сохранить"]),
    ("action.save_continue", ["Save and continue", "Speichern und weiter", "Salva e continua", "Salvar e continuar", "Сохранить и продолжить"]),
    ("action.search", ["Search", "Suchen", "Cerca", "Buscar", "Найти"]),
    ("action.show", ["Show", "Anzeigen", "Mostra", "Mostrar", "Показать"]),
    ("call.add_comment", ["Add comment", "Kommentar hinzufügen", "Aggiungi commento", "Adicionar comentário", "Добавить комментарий"]),
    ("call.anonymous", ["Withheld number", "Unterdrückte Nummer", "Numero nascosto", "Número oculto", "Скрытый номер"]),
    ("call.comment_invalid", ["A comment must have 1 to 10,000 characters.", "Ein Kommentar muss 1 bis 10.000 Zeichen haben.", "Un commento deve avere da 1 a 10.000 caratteri.", "Um comentário deve ter de 1 a 10.000 caracteres.", "Комментарий должен содержать от 1 до 10 000 символов."]),
    ("call.comments", ["Comments", "Kommentare", "Commenti", "Comentários", "Комментарии"]),
    ("call.contact", ["Contact", "Kontakt", "Contatto", "Contato", "Контакт"]),
    ("call.create_contact", ["Create contact from this call", "Kontakt aus diesem Anruf anlegen", "Crea contatto da questa chiamata", "Criar contato a partir desta chamada", "Создать контакт из этого звонка"]),
    ("call.description", ["Description", "Beschreibung", "Descrizione", "Descrição", "Описание"]),
    ("call.end_estimated", ["(end estimated)", "(Ende geschätzt)", "(fine stimata)", "(fim estimado)", "(окончание оценено)"]),
    ("call.ended", ["ended", "beendet", "terminata", "encerrada", "завершён"]),
    ("call.mark_handled", ["Mark handled", "Als erledigt markieren", "Segna come gestita", "Marcar como tratada", "Отметить как обработанный"]),
    ("call.not_found", ["This call does not exist or is not yours to see.", "Diesen Anruf gibt es nicht, oder Sie dürfen ihn nicht sehen.", "Questa chiamata non esiste o non è visibile per te.", "Esta chamada não existe ou você não pode vê-la.", "Этого звонка нет, или он вам недоступен."]),
    ("call.recording", ["Recording", "Aufnahme", "Registrazione", "Gravação", "Запись"]),
    ("call.recording_link", ["Open the recording", "Aufnahme öffnen", "Apri la registrazione", "Abrir a gravação", "Открыть запись"]),
    ("call.reopen", ["Reopen", "Wieder öffnen", "Riapri", "Reabrir", "Открыть снова"]),
    ("call.still_going", ["The call is still going on; it can be marked handled once it has ended.", "Der Anruf läuft noch; er kann erst nach dem Ende als erledigt markiert werden.", "La chiamata è ancora in corso; si può segnare come gestita solo dopo la fine.", "A chamada ainda está em andamento; ela pode ser marcada como tratada quando terminar.", "Звонок ещё идёт; его можно отметить как обработанный после завершения."]),
    ("call.tasks", ["Follow-up tasks", "Aufgaben", "Attività di follow-up", "Tarefas de acompanhamento", "Задачи"]),
    ("call.tie", ["Several contacts have this number equally:", "Mehrere Kontakte haben diese Nummer gleichermaßen:", "Più contatti hanno questo numero:", "Vários contatos têm este número:", "Этот номер есть у нескольких контактов:"]),
    ("call.timeline", ["Timeline", "Verlauf", "Cronologia", "Linha do tempo", "Ход звонка"]),
    ("call.title", ["Call", "Anruf", "Chiamata", "Chamada", "Звонок"]),
    ("call.unknown_caller", ["Unknown caller", "Unbekannter Anrufer", "Chiamante sconosciuto", "Chamador desconhecido", "Неизвестный абонент"]),
    ("calls.none", ["No calls.", "Keine Anrufe.", "Nessuna chiamata.", "Nenhuma chamada.", "Звонков нет."]),
    ("col.age", ["Age", "Alter", "Da", "Há", "Давность"]),
    ("col.caller", ["Caller", "Anrufer", "Chiamante", "Chamador", "Абонент"]),
    ("col.direction", ["Direction", "Richtung", "Direzione", "Direção", "Направление"]),
    ("col.duration", ["Talk time", "Gesprächsdauer", "Durata", "Duração", "Длительность"]),
    ("col.employee", ["Employee", "Mitarbeiter", "Dipendente", "Funcionário", "Сотрудник"]),
    ("col.handling", ["Handling", "Bearbeitung", "Gestione", "Tratamento", "Обработка"]),
    ("col.line", ["Line", "Leitung", "Linea", "Linha", "Линия"]),
    ("col.select", ["Select", "Auswählen", "Seleziona", "Selecionar", "Выбрать"]),
    ("col.status", ["Status", "Status", "Stato", "Status", "Статус"]),
    ("col.time", ["Time", "Zeit", "Ora", "Hora", "Время"]),
    ("contact.delete", ["Delete", "Löschen", "Elimina", "Excluir", "Удалить"]),
    ("contact.delete_confirm", ["Delete this contact?", "Diesen Kontakt löschen?", "Eliminare questo contatto?", "Excluir este contato?", "Удалить этот контакт?"]),
    ("contact.edit", ["Edit contact", "Kontakt bearbeiten", "Modifica contatto", "Editar contato", "Изменить контакт"]),
    ("contact.export_vcard", ["Export vCard", "vCard exportieren", "Esporta vCard", "Exportar vCard", "Экспорт vCard"]),
    ("contact.history", ["Calls", "Anrufe", "Chiamate", "Chamadas", "Звонки"]),
    ("contact.import", ["Import", "Importieren", "Importa", "Importar", "Импорт"]),
    ("contact.new", ["New contact", "Neuer Kontakt", "Nuovo contatto", "Novo contato", "Новый контакт"]),
    ("contact.none", ["No contacts found.", "Keine Kontakte gefunden.", "Nessun contatto trovato.", "Nenhum contato encontrado.", "Контакты не найдены."]),
    ("contact.not_found", ["This contact does not exist.", "Diesen Kontakt gibt es nicht.", "Questo contatto non esiste.", "Este contato não existe.", "Такого контакта нет."]),
    ("contact.search", ["Name, company or number", "Name, Firma oder Nummer", "Nome, azienda o numero", "Nome, empresa ou número", "Имя, компания или номер"]),
    ("csrf.text", ["This form was too old or did not come from this page. Go back, reload the page and try again; nothing was changed.", "Dieses Formular war zu alt oder kam nicht von dieser Seite. Gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es erneut; es wurde nichts geändert.", "Questo modulo era scaduto o non proveniva da questa pagina. Torna indietro, ricarica la pagina e riprova; non è stato cambiato nulla.", "Este formulário expirou ou não veio desta página. Volte, recarregue a página e tente de novo; nada foi alterado.", "Форма устарела или пришла не с этой страницы. Вернитесь, обновите страницу и попробуйте снова; ничего не изменено."]),
    ("csrf.title", ["The form was refused", "Formular abgelehnt", "Modulo rifiutato", "Formulário recusado", "Форма отклонена"]),
    ("dash.in_today", ["incoming today", "eingehend heute", "in arrivo oggi", "recebidas hoje", "входящих сегодня"]),
    ("dash.now", ["Ringing now", "Klingelt gerade", "Squilla ora", "Tocando agora", "Звонят сейчас"]),
    ("dash.open_missed", ["Open missed calls", "Offene verpasste Anrufe", "Chiamate perse aperte", "Chamadas perdidas em aberto", "Открытые пропущенные"]),
    ("dash.out_today", ["outgoing today", "ausgehend heute", "in uscita oggi", "feitas hoje", "исходящих сегодня"]),
    ("dash.today", ["Today's calls", "Heutige Anrufe", "Chiamate di oggi", "Chamadas de hoje", "Звонки за сегодня"]),
    ("dir.in", ["Incoming", "Eingehend", "In arrivo", "Recebida", "Входящий"]),
    ("dir.internal", ["Internal", "Intern", "Interna", "Interna", "Внутренний"]),
    ("dir.out", ["Outgoing", "Ausgehend", "In uscita", "Feita", "Исходящий"]),
    ("dir.unknown", ["Unknown", "Unbekannt", "Sconosciuta", "Desconhecida", "Неизвестно"]),
    ("error.unknown_action", ["This action is not known.", "Diese Aktion ist unbekannt.", "Azione sconosciuta.", "Ação desconhecida.", "Неизвестное действие."]),
    ("field.area_code", ["Area code", "Vorwahl", "Prefisso", "DDD", "Код города"]),
    ("field.company", ["Company", "Firma", "Azienda", "Empresa", "Компания"]),
    ("field.country", ["Country (ISO code)", "Land (ISO-Code)", "Paese (codice ISO)", "País (código ISO)", "Страна (код ISO)"]),
    ("field.email", ["E-mail", "E-Mail", "E-mail", "E-mail", "Эл. почта"]),
    ("field.extension_digits", ["Extension length", "Länge der Nebenstellen", "Lunghezza interni", "Tamanho dos ramais", "Длина внутренних номеров"]),
    ("field.first_name", ["First name", "Vorname", "Nome", "Nome", "Имя"]),
    ("field.language", ["Language", "Sprache", "Lingua", "Idioma", "Язык"]),
    ("field.last_name", ["Last name", "Nachname", "Cognome", "Sobrenome", "Фамилия"]),
    ("field.line_name", ["Line name", "Name der Leitung", "Nome linea", "Nome da linha", "Название линии"]),
    ("field.line_number", ["Number", "Nummer", "Numero", "Número", "Номер"]),
    ("field.main_number", ["Main number", "Hauptnummer", "Numero principale", "Número principal", "Основной номер"]),
    ("field.name", ["Name", "Name", "Nome", "Nome", "Имя"]),
    ("field.notes", ["Notes", "Notizen", "Note", "Observações", "Заметки"]),
    ("field.number", ["Number", "Nummer", "Numero", "Número", "Номер"]),
    ("field.numbers", ["Numbers", "Nummern", "Numeri", "Números", "Номера"]),
    ("field.outside_prefix", ["Outside-line prefix", "Amtsholung", "Prefisso linea esterna", "Prefixo de linha externa", "Префикс выхода в город"]),
    ("field.password", ["Password", "Passwort", "Password", "Senha", "Пароль"]),
    ("field.responsible", ["Responsible", "Zuständig", "Responsabile", "Responsável", "Ответственный"]),
    ("field.timezone", ["Time zone", "Zeitzone", "Fuso orario", "Fuso horário", "Часовой пояс"]),
    ("field.type", ["Type", "Art", "Tipo", "Tipo", "Тип"]),
    ("field.username", ["User name", "Benutzername", "Nome utente", "Usuário", "Имя пользователя"]),
    ("filter.any", ["Any", "Alle", "Tutti", "Todos", "Все"]),
    ("filter.extension", ["Extension", "Nebenstelle", "Interno", "Ramal", "Внутренний номер"]),
    ("filter.from", ["From", "Von", "Dal", "De", "С"]),
    ("filter.number", ["Number or contact", "Nummer oder Kontakt", "Numero o contatto", "Número ou contato", "Номер или контакт"]),
    ("filter.to", ["To", "Bis", "Al", "Até", "По"]),
    ("forbidden.text", ["This page is for administrators.", "Diese Seite ist für Administratoren.", "Questa pagina è per gli amministratori.", "Esta página é para administradores.", "Эта страница для администраторов."]),
    ("forbidden.title", ["Not allowed", "Nicht erlaubt", "Non consentito", "Não permitido", "Нет доступа"]),
    ("handled.answered_again", ["Closed: the caller called again and was answered", "Erledigt: Anrufer rief erneut an und wurde erreicht", "Chiusa: il chiamante ha richiamato e ha avuto risposta", "Encerrada: o chamador ligou de novo e foi atendido", "Закрыт: абонент перезвонил и ему ответили"]),
    ("handled.bulk", ["Handled (in bulk)", "Erledigt (gesammelt)", "Gestita (in blocco)", "Tratada (em lote)", "Обработан (массово)"]),
    ("handled.by_call", ["the call that closed it", "der Anruf, der ihn erledigte", "la chiamata che l'ha chiusa", "a chamada que a encerrou", "звонок, закрывший его"]),
    ("handled.callback", ["Closed automatically: called back", "Automatisch erledigt: zurückgerufen", "Chiusa automaticamente: richiamato", "Encerrada automaticamente: retornada", "Закрыт автоматически: перезвонили"]),
    ("handled.manual", ["Handled", "Erledigt", "Gestita", "Tratada", "Обработан"]),
    ("handling.handled", ["Handled", "Erledigt", "Gestita", "Tratada", "Обработан"]),
    ("handling.open", ["Open", "Offen", "Aperta", "Em aberto", "Открыт"]),
    ("import.bad", ["rows with errors", "fehlerhafte Zeilen", "righe con errori", "linhas com erros", "строк с ошибками"]),
    ("import.do", ["Import the good rows", "Gültige Zeilen importieren", "Importa le righe valide", "Importar as linhas válidas", "Импортировать правильные строки"]),
    ("import.done", ["Contacts imported", "Kontakte importiert", "Contatti importati", "Contatos importados", "Импортировано контактов"]),
    ("import.file", ["File (CSV or vCard)", "Datei (CSV oder vCard)", "File (CSV o vCard)", "Arquivo (CSV ou vCard)", "Файл (CSV или vCard)"]),
    ("import.good", ["contacts ready", "Kontakte bereit", "contatti pronti", "contatos prontos", "контактов готово"]),
    ("import.intro", ["Choose a CSV or vCard file, or paste its text. You see a preview with every bad row before anything is saved.", "Wählen Sie eine CSV- oder vCard-Datei oder fügen Sie den Text ein. Vor dem Speichern sehen Sie eine Vorschau mit allen fehlerhaften Zeilen.", "Scegli un file CSV o vCard, o incolla il testo. Prima di salvare vedrai un'anteprima con tutte le righe errate.", "Escolha um arquivo CSV ou vCard, ou cole o texto. Antes de salvar, você verá uma prévia com todas as linhas com erro.", "Выберите файл CSV или vCard или вставьте текст. Перед сохранением вы увидите все строки с ошибками."]),
    ("import.line", ["Line", "Zeile", "Riga", "Linha", "Строка"]),
    ("import.preview", ["Check", "Prüfen", "Controlla", "Verificar", "Проверить"]),
    ("import.reason", ["Problem", "Problem", "Problema", "Problema", "Проблема"]),
    ("import.text", ["Or paste the text", "Oder Text einfügen", "Oppure incolla il testo", "Ou cole o texto", "Или вставьте текст"]),
    ("integ.base", ["This box's address for devices", "Adresse dieser Box für Geräte", "Indirizzo di questo box per i dispositivi", "Endereço deste aparelho para os dispositivos", "Адрес этого устройства для телефонов"]),
    ("integ.provisioning", ["Settings for phones and PBXs", "Einstellungen für Telefone und Telefonanlagen", "Impostazioni per telefoni e centralini", "Configurações para telefones e PABX", "Настройки для телефонов и АТС"]),
    ("integ.threecx_template", ["Download the 3CX template", "3CX-Vorlage herunterladen", "Scarica il modello 3CX", "Baixar o modelo 3CX", "Скачать шаблон 3CX"]),
    ("keys.allow", ["Allowed networks", "Erlaubte Netze", "Reti consentite", "Redes permitidas", "Разрешённые сети"]),
    ("keys.create", ["Create key", "Schlüssel erstellen", "Crea chiave", "Criar chave", "Создать ключ"]),
    ("keys.created", ["Created", "Erstellt", "Creata", "Criada", "Создан"]),
    ("keys.created_once", ["The new key is shown only now. Copy it and keep it safe.", "Der neue Schlüssel wird nur jetzt angezeigt. Kopieren und sicher aufbewahren.", "La nuova chiave è mostrata solo ora. Copiala e conservala.", "A nova chave é exibida só agora. Copie e guarde com segurança.", "Новый ключ показан только сейчас. Скопируйте и сохраните его."]),
    ("keys.revoke", ["Revoke", "Widerrufen", "Revoca", "Revogar", "Отозвать"]),
    ("keys.revoked", ["revoked", "widerrufen", "revocata", "revogada", "отозван"]),
    ("keys.scopes", ["Scopes", "Rechte", "Permessi", "Permissões", "Права"]),
    ("keys.title", ["API keys", "API-Schlüssel", "Chiavi API", "Chaves de API", "API-ключи"]),
    ("login.failed", ["The user name or password is wrong.", "Benutzername oder Passwort ist falsch.", "Nome utente o password errati.", "Usuário ou senha incorretos.", "Неверное имя пользователя или пароль."]),
    ("login.submit", ["Log in", "Anmelden", "Accedi", "Entrar", "Войти"]),
    ("login.title", ["Log in", "Anmelden", "Accesso", "Entrar", "Вход"]),
    ("login.too_many", ["Too many failed attempts. Wait five minutes and try again.", "Zu viele Fehlversuche. Warten Sie fünf Minuten und versuchen Sie es erneut.", "Troppi tentativi falliti. Attendi cinque minuti e riprova.", "Muitas tentativas falharam. Aguarde cinco minutos e tente de novo.", "Слишком много неудачных попыток. Подождите пять минут."]),
    ("missed.by", ["Missed by", "Verpasst von", "Persa da", "Perdida por", "Пропустил"]),
    ("missed.mark_selected", ["Mark selected as handled", "Auswahl als erledigt markieren", "Segna i selezionati come gestiti", "Marcar selecionadas como tratadas", "Отметить выбранные как обработанные"]),
    ("missed.none", ["No open missed calls.", "Keine offenen verpassten Anrufe.", "Nessuna chiamata persa aperta.", "Nenhuma chamada perdida em aberto.", "Открытых пропущенных звонков нет."]),
    ("missed.none_selected", ["Select at least one call.", "Wählen Sie mindestens einen Anruf aus.", "Seleziona almeno una chiamata.", "Selecione pelo menos uma chamada.", "Выберите хотя бы один звонок."]),
    ("missed.recently_closed", ["Recently closed", "Kürzlich erledigt", "Chiuse di recente", "Encerradas recentemente", "Недавно закрытые"]),
    ("nav.calls", ["Call log", "Anrufliste", "Registro chiamate", "Registro de chamadas", "Журнал звонков"]),
    ("nav.contacts", ["Contacts", "Kontakte", "Contatti", "Contatos", "Контакты"]),
    ("nav.dashboard", ["Overview", "Übersicht", "Panoramica", "Visão geral", "Обзор"]),
    ("nav.integrations", ["Integrations", "Integrationen", "Integrazioni", "Integrações", "Интеграции"]),
    ("nav.logout", ["Log out", "Abmelden", "Esci", "Sair", "Выйти"]),
    ("nav.missed", ["Missed calls", "Verpasste Anrufe", "Chiamate perse", "Chamadas perdidas", "Пропущенные"]),
    ("nav.operators", ["Operators", "Mitarbeiter", "Operatori", "Operadores", "Сотрудники"]),
    ("nav.reports", ["Reports", "Berichte", "Report", "Relatórios", "Отчёты"]),
    ("nav.settings", ["Settings", "Einstellungen", "Impostazioni", "Configurações", "Настройки"]),
    ("notify.denied", ["Notifications are blocked in this browser", "Benachrichtigungen sind in diesem Browser blockiert", "Le notifiche sono bloccate in questo browser", "As notificações estão bloqueadas neste navegador", "Уведомления заблокированы в браузере"]),
    ("notify.enable", ["Turn on notifications", "Benachrichtigungen einschalten", "Attiva le notifiche", "Ativar notificações", "Включить уведомления"]),
    ("notify.incoming", ["Incoming call", "Eingehender Anruf", "Chiamata in arrivo", "Chamada recebida", "Входящий звонок"]),
    ("notify.line", ["Unknown caller on", "Unbekannter Anrufer auf", "Chiamante sconosciuto su", "Chamador desconhecido em", "Неизвестный абонент на линии"]),
    ("notify.on", ["Notifications on", "Benachrichtigungen an", "Notifiche attive", "Notificações ativas", "Уведомления включены"]),
    ("ops.add_lines", ["Add lines", "Leitungen hinzufügen", "Aggiungi linee", "Adicionar linhas", "Добавить линии"]),
    ("ops.cli_hint", ["Employees and extensions are managed with 'ringbook employee' and 'ringbook extension' on the command line.", "Mitarbeiter und Nebenstellen werden mit 'ringbook employee' und 'ringbook extension' auf der Kommandozeile verwaltet.", "Dipendenti e interni si gestiscono con 'ringbook employee' e 'ringbook extension' da riga di comando.", "Funcionários e ramais são gerenciados com 'ringbook employee' e 'ringbook extension' na linha de comando.", "Сотрудники и внутренние номера управляются командами 'ringbook employee' и 'ringbook extension'."]),
    ("ops.employees", ["Employees", "Mitarbeiter", "Dipendenti", "Funcionários", "Сотрудники"]),
    ("ops.extensions", ["Extensions", "Nebenstellen", "Interni", "Ramais", "Внутренние номера"]),
    ("ops.from", ["From", "Von", "Dal", "De", "С"]),
    ("ops.history", ["Extension history", "Verlauf der Nebenstellen", "Storico degli interni", "Histórico dos ramais", "История внутренних номеров"]),
    ("ops.is_employee", ["Is employee", "Ist Mitarbeiter", "È il dipendente", "É o funcionário", "Это сотрудник"]),
    ("ops.none", ["None yet.", "Noch keine.", "Ancora nessuno.", "Nenhum ainda.", "Пока нет."]),
    ("ops.now", ["now", "jetzt", "oggi", "agora", "сейчас"]),
    ("ops.role", ["Role", "Rolle", "Ruolo", "Função", "Роль"]),
    ("ops.until", ["Until", "Bis", "Al", "Até", "По"]),
    ("ops.users", ["Users", "Benutzer", "Utenti", "Usuários", "Пользователи"]),
    ("phone.fax", ["Fax", "Fax", "Fax", "Fax", "Факс"]),
    ("phone.home", ["Home", "Privat", "Casa", "Residencial", "Домашний"]),
    ("phone.mobile", ["Mobile", "Mobil", "Cellulare", "Celular", "Мобильный"]),
    ("phone.office", ["Office", "Büro", "Ufficio", "Comercial", "Рабочий"]),
    ("phone.other", ["Other", "Sonstige", "Altro", "Outro", "Другой"]),
    ("report.avg", ["Average", "Durchschnitt", "Media", "Média", "Среднее"]),
    ("report.by", ["By", "Nach", "Per", "Por", "По"]),
    ("report.chart", ["Calls per person", "Anrufe pro Person", "Chiamate per persona", "Chamadas por pessoa", "Звонки по людям"]),
    ("report.contact", ["Contact", "Kontakt", "Contatto", "Contato", "Контакт"]),
    ("report.in", ["In", "Ein", "Entrata", "Recebidas", "Вход."]),
    ("report.missed", ["Missed", "Verpasst", "Perse", "Perdidas", "Пропущ."]),
    ("report.out", ["Out", "Aus", "Uscita", "Feitas", "Исх."]),
    ("report.talk", ["Talk time", "Gesprächszeit", "Tempo di conversazione", "Tempo de conversa", "Время разговоров"]),
    ("report.unassigned", ["(nobody)", "(niemand)", "(nessuno)", "(ninguém)", "(никто)"]),
    ("report.week", ["Week", "Woche", "Settimana", "Semana", "Неделя"]),
    ("settings.backup", ["Backup", "Sicherung", "Backup", "Backup", "Резервная копия"]),
    ("settings.backup_download", ["Download a backup", "Sicherung herunterladen", "Scarica un backup", "Baixar um backup", "Скачать копию"]),
    ("settings.backup_text", ["A consistent copy of the whole database, safe to take while calls come in.", "Eine konsistente Kopie der ganzen Datenbank, auch während Anrufe eingehen.", "Una copia coerente dell'intero database, anche mentre arrivano chiamate.", "Uma cópia consistente de todo o banco de dados, mesmo com chamadas chegando.", "Целостная копия всей базы, даже во время звонков."]),
    ("settings.saved", ["Saved.", "Gespeichert.", "Salvato.", "Salvo.", "Сохранено."]),
    ("setup.bad_code", ["That setup code is not right. It is printed in ringbook's log when it starts.", "Dieser Einrichtungscode stimmt nicht. Er steht beim Start im Log von ringbook.", "Il codice di configurazione non è corretto. È scritto nel log di ringbook all'avvio.", "O código de configuração não está certo. Ele aparece no log do ringbook ao iniciar.", "Неверный код настройки. Он выводится в журнал ringbook при запуске."]),
    ("setup.code", ["Setup code (from the log)", "Einrichtungscode (aus dem Log)", "Codice di configurazione (dal log)", "Código de configuração (do log)", "Код настройки (из журнала)"]),
    ("setup.create_admin", ["Create administrator", "Administrator anlegen", "Crea amministratore", "Criar administrador", "Создать администратора"]),
    ("setup.intro", ["Welcome. Type the setup code that ringbook printed in its log, and choose the administrator's name and password.", "Willkommen. Geben Sie den Einrichtungscode aus dem Log von ringbook ein und wählen Sie Name und Passwort des Administrators.", "Benvenuto. Inserisci il codice di configurazione che ringbook ha scritto nel log e scegli nome e password dell'amministratore.", "Bem-vindo. Digite o código de configuração que o ringbook escreveu no log e escolha o nome e a senha do administrador.", "Добро пожаловать. Введите код настройки из журнала ringbook и задайте имя и пароль администратора."]),
    ("setup.lines", ["Company numbers and lines", "Firmennummern und Leitungen", "Numeri e linee aziendali", "Números e linhas da empresa", "Номера и линии компании"]),
    ("setup.number_model", ["Phone numbers", "Telefonnummern", "Numeri di telefono", "Números de telefone", "Телефонные номера"]),
    ("setup.office_intro", ["Tell ringbook how numbers look in your office. You can change all of this later under Settings.", "Sagen Sie ringbook, wie Nummern in Ihrem Büro aussehen. Sie können alles später unter Einstellungen ändern.", "Indica a ringbook come sono i numeri nel tuo ufficio. Puoi cambiare tutto più tardi in Impostazioni.", "Diga ao ringbook como são os números do seu escritório. Você pode mudar tudo depois em Configurações.", "Укажите, как выглядят номера в вашем офисе. Всё можно изменить позже в настройках."]),
    ("setup.office_title", ["Your office", "Ihr Büro", "Il tuo ufficio", "Seu escritório", "Ваш офис"]),
    ("setup.password_hint", ["At least 10 characters.", "Mindestens 10 Zeichen.", "Almeno 10 caratteri.", "Pelo menos 10 caracteres.", "Не менее 10 символов."]),
    ("setup.time_language", ["Time zone and language", "Zeitzone und Sprache", "Fuso orario e lingua", "Fuso horário e idioma", "Часовой пояс и язык"]),
    ("setup.title", ["Set up ringbook", "ringbook einrichten", "Configura ringbook", "Configurar o ringbook", "Настройка ringbook"]),
    ("status.answered", ["Answered", "Angenommen", "Risposta", "Atendida", "Отвечен"]),
    ("status.busy", ["Busy", "Besetzt", "Occupato", "Ocupado", "Занято"]),
    ("status.failed", ["Failed", "Fehlgeschlagen", "Fallita", "Falhou", "Ошибка"]),
    ("status.missed", ["Missed", "Verpasst", "Persa", "Perdida", "Пропущен"]),
    ("status.not_answered", ["Not answered", "Nicht angenommen", "Senza risposta", "Não atendida", "Без ответа"]),
    ("status.ringing", ["Ringing", "Klingelt", "Squilla", "Tocando", "Звонит"]),
    ("task.add", ["Add task", "Aufgabe hinzufügen", "Aggiungi attività", "Adicionar tarefa", "Добавить задачу"]),
    ("task.assignee", ["Assignee", "Zuständig", "Assegnata a", "Responsável", "Исполнитель"]),
    ("task.due", ["Due", "Fällig", "Scadenza", "Prazo", "Срок"]),
    ("task.invalid", ["A task needs a title (at most 200 characters) and a valid date.", "Eine Aufgabe braucht einen Titel (höchstens 200 Zeichen) und ein gültiges Datum.", "Un'attività richiede un titolo (max 200 caratteri) e una data valida.", "Uma tarefa precisa de um título (até 200 caracteres) e uma data válida.", "Задаче нужно название (до 200 символов) и правильная дата."]),
    ("task.title", ["Task", "Aufgabe", "Attività", "Tarefa", "Задача"]),
    ("unit.d", ["d", "T.", "g", "d", "дн."]),
    ("unit.h", ["h", "Std.", "h", "h", "ч"]),
    ("unit.min", ["min", "Min.", "min", "min", "мин"]),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_complete() {
        for w in TABLE.windows(2) {
            assert!(w[0].0 < w[1].0, "{} must come before {}", w[0].0, w[1].0);
        }
        for (k, row) in TABLE {
            for (i, s) in row.iter().enumerate() {
                assert!(!s.is_empty(), "{k} has no text in {}", Lang::ALL[i].code());
            }
        }
    }

    /// Every key a template asks for is in the table: scans the UI's sources for `t("...")`.
    #[test]
    fn every_key_used_by_a_template_exists() {
        let sources = [
            include_str!("mod.rs"),
            include_str!("layout.rs"),
            include_str!("setup.rs"),
            include_str!("calls.rs"),
            include_str!("contacts.rs"),
            include_str!("operators.rs"),
            include_str!("reports.rs"),
            include_str!("integrations.rs"),
            include_str!("settings_page.rs"),
            include_str!("events.rs"),
        ];
        let mut missing = Vec::new();
        for src in sources {
            for (at, _) in src.match_indices("t(\"") {
                // `me.t("..")` and the closure `t("..")`, not `get("..")`.
                let before = src[..at].chars().last().unwrap_or(' ');
                if before.is_alphanumeric() || before == '_' {
                    continue;
                }
                let key = src[at + 3..].split('"').next().unwrap_or("");
                let looks_like_key = key.contains('.')
                    && key
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_');
                if looks_like_key && TABLE.binary_search_by(|(k, _)| k.cmp(&key)).is_err() {
                    missing.push(key.to_string());
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from the table: {missing:?}"
        );
    }

    #[test]
    fn codes_round_trip_and_accept_language_tags() {
        for l in Lang::ALL {
            assert_eq!(Lang::from_code(l.code()), Some(l));
        }
        assert_eq!(Lang::from_code("de-AT"), Some(Lang::De));
        assert_eq!(Lang::from_code("pt"), Some(Lang::PtBr));
        assert_eq!(Lang::from_code("fr"), None);
        assert_eq!(Lang::De.t("nav.calls"), "Anrufliste");
    }
}
