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
    ("account.2fa", ["Two-factor authentication", "Zwei-Faktor-Authentifizierung", "Autenticazione a due fattori", "Autenticação de dois fatores", "Двухфакторная аутентификация"]),
    ("account.2fa_key", ["Key:", "Schlüssel:", "Chiave:", "Chave:", "Ключ:"]),
    ("account.2fa_now_off", ["Two-factor authentication is off.", "Die Zwei-Faktor-Authentifizierung ist ausgeschaltet.", "L'autenticazione a due fattori è disattivata.", "A autenticação de dois fatores está desativada.", "Двухфакторная аутентификация выключена."]),
    ("account.2fa_now_on", ["Two-factor authentication is on. Logging in now asks for the code the app shows; below are recovery codes for the day the phone is lost.", "Die Zwei-Faktor-Authentifizierung ist eingeschaltet. Die Anmeldung fragt jetzt nach dem Code der App; unten stehen Wiederherstellungscodes für den Fall, dass das Telefon verloren geht.", "L'autenticazione a due fattori è attiva. Ora l'accesso chiede il codice mostrato dall'app; qui sotto ci sono i codici di recupero per quando il telefono va perso.", "A autenticação de dois fatores está ativada. Agora o login pede o código mostrado pelo app; abaixo estão códigos de recuperação para o dia em que o celular for perdido.", "Двухфакторная аутентификация включена. Теперь при входе запрашивается код из приложения; ниже — коды восстановления на случай потери телефона."]),
    ("account.2fa_off", ["Off: the password alone logs you in.", "Aus: Das Passwort allein meldet Sie an.", "Disattivata: basta la password per accedere.", "Desativada: só a senha faz o login.", "Выключена: для входа достаточно пароля."]),
    ("account.2fa_on", ["On: after the password, logging in asks for the code your authenticator app shows.", "Ein: Nach dem Passwort fragt die Anmeldung nach dem Code Ihrer Authenticator-App.", "Attiva: dopo la password, l'accesso chiede il codice mostrato dalla tua app di autenticazione.", "Ativada: depois da senha, o login pede o código mostrado pelo seu app autenticador.", "Включена: после пароля вход запрашивает код из вашего приложения-аутентификатора."]),
    ("account.2fa_scan", ["To turn it on, scan this QR code with an authenticator app on your phone (such as Aegis, FreeOTP, Google or Microsoft Authenticator), or type the key in. Then enter the six-digit code the app shows, and your password.", "Zum Einschalten scannen Sie diesen QR-Code mit einer Authenticator-App auf Ihrem Telefon (etwa Aegis, FreeOTP, Google oder Microsoft Authenticator) oder tippen Sie den Schlüssel ein. Geben Sie dann den sechsstelligen Code aus der App und Ihr Passwort ein.", "Per attivarla, scansiona questo codice QR con un'app di autenticazione sul telefono (come Aegis, FreeOTP, Google o Microsoft Authenticator) oppure digita la chiave. Poi inserisci il codice a sei cifre mostrato dall'app e la tua password.", "Para ativar, escaneie este QR code com um app autenticador no celular (como Aegis, FreeOTP, Google ou Microsoft Authenticator) ou digite a chave. Depois informe o código de seis dígitos mostrado pelo app e sua senha.", "Чтобы включить, отсканируйте этот QR-код приложением-аутентификатором на телефоне (например, Aegis, FreeOTP, Google или Microsoft Authenticator) или введите ключ вручную. Затем введите шестизначный код из приложения и свой пароль."]),
    ("account.2fa_turn_off", ["Turn off", "Ausschalten", "Disattiva", "Desativar", "Выключить"]),
    ("account.2fa_turn_on", ["Turn on", "Einschalten", "Attiva", "Ativar", "Включить"]),
    ("account.code", ["Code from the app", "Code aus der App", "Codice dell'app", "Código do app", "Код из приложения"]),
    ("account.current_password", ["Current password", "Aktuelles Passwort", "Password attuale", "Senha atual", "Текущий пароль"]),
    ("account.need_2fa", ["Administrators must use two-factor authentication here. Set it up below to go on.", "Administratoren müssen hier die Zwei-Faktor-Authentifizierung verwenden. Richten Sie sie unten ein, um fortzufahren.", "Qui gli amministratori devono usare l'autenticazione a due fattori. Configurala qui sotto per continuare.", "Aqui os administradores precisam usar autenticação de dois fatores. Configure-a abaixo para continuar.", "Администраторы здесь обязаны использовать двухфакторную аутентификацию. Настройте её ниже, чтобы продолжить."]),
    ("account.password", ["Change password", "Passwort ändern", "Cambia password", "Alterar senha", "Сменить пароль"]),
    ("account.password_changed", ["Your password was changed.", "Ihr Passwort wurde geändert.", "La password è stata cambiata.", "Sua senha foi alterada.", "Пароль изменён."]),
    ("account.qr_label", ["QR code for an authenticator app", "QR-Code für eine Authenticator-App", "Codice QR per un'app di autenticazione", "QR code para um app autenticador", "QR-код для приложения-аутентификатора"]),
    ("account.recovered", ["You logged in with a recovery code, which is now used up. If the phone with the app is lost, turn two-factor authentication off and on again with a new phone, or make new recovery codes before they run out.", "Sie haben sich mit einem Wiederherstellungscode angemeldet, der jetzt verbraucht ist. Ist das Telefon mit der App verloren, schalten Sie die Zwei-Faktor-Authentifizierung aus und mit einem neuen Telefon wieder ein, oder erstellen Sie neue Wiederherstellungscodes, bevor sie ausgehen.", "Hai effettuato l'accesso con un codice di recupero, che ora è esaurito. Se il telefono con l'app è perso, disattiva e riattiva l'autenticazione a due fattori con un nuovo telefono, oppure crea nuovi codici di recupero prima che finiscano.", "Você entrou com um código de recuperação, que agora foi gasto. Se o celular com o app foi perdido, desative e ative de novo a autenticação de dois fatores com um celular novo, ou crie novos códigos de recuperação antes que acabem.", "Вы вошли с кодом восстановления, и он израсходован. Если телефон с приложением потерян, выключите и снова включите двухфакторную аутентификацию с новым телефоном или создайте новые коды восстановления, пока они не закончились."]),
    ("account.recovery", ["Recovery codes", "Wiederherstellungscodes", "Codici di recupero", "Códigos de recuperação", "Коды восстановления"]),
    ("account.recovery_keep", ["Print these codes or keep them in a password manager, not on the phone with the app. If the phone is lost, each code logs you in once in place of the app's code. They are shown only now; any older codes no longer work.", "Drucken Sie diese Codes aus oder bewahren Sie sie in einem Passwort-Manager auf, nicht auf dem Telefon mit der App. Geht das Telefon verloren, meldet Sie jeder Code einmal anstelle des App-Codes an. Sie werden nur jetzt angezeigt; ältere Codes gelten nicht mehr.", "Stampa questi codici o conservali in un gestore di password, non sul telefono con l'app. Se perdi il telefono, ogni codice ti fa accedere una volta al posto del codice dell'app. Sono mostrati solo ora; i codici precedenti non valgono più.", "Imprima estes códigos ou guarde-os num gerenciador de senhas, não no celular com o app. Se o celular for perdido, cada código faz o login uma vez no lugar do código do app. Eles são mostrados só agora; códigos antigos deixam de valer.", "Распечатайте эти коды или сохраните их в менеджере паролей, но не на телефоне с приложением. Если телефон потерян, каждый код один раз заменяет код приложения при входе. Они показываются только сейчас; прежние коды больше не действуют."]),
    ("account.recovery_left", ["Recovery codes left:", "Verbleibende Wiederherstellungscodes:", "Codici di recupero rimasti:", "Códigos de recuperação restantes:", "Осталось кодов восстановления:"]),
    ("account.recovery_made", ["New recovery codes are made. The old ones no longer work.", "Neue Wiederherstellungscodes sind erstellt. Die alten gelten nicht mehr.", "Sono stati creati nuovi codici di recupero. Quelli vecchi non valgono più.", "Novos códigos de recuperação foram criados. Os antigos não valem mais.", "Созданы новые коды восстановления. Старые больше не действуют."]),
    ("account.recovery_new", ["Make new recovery codes", "Neue Wiederherstellungscodes erstellen", "Crea nuovi codici di recupero", "Criar novos códigos de recuperação", "Создать новые коды восстановления"]),
    ("account.recovery_new_hint", ["New codes replace the old ones. Make them when few are left, or if someone may have seen them. Your password is asked.", "Neue Codes ersetzen die alten. Erstellen Sie sie, wenn nur noch wenige übrig sind oder jemand sie gesehen haben könnte. Ihr Passwort wird abgefragt.", "I nuovi codici sostituiscono i vecchi. Creali quando ne restano pochi o se qualcuno potrebbe averli visti. Viene chiesta la password.", "Novos códigos substituem os antigos. Crie-os quando restarem poucos ou se alguém puder tê-los visto. Sua senha é pedida.", "Новые коды заменяют старые. Создайте их, когда кодов осталось мало или если их мог кто-то увидеть. Потребуется пароль."]),
    ("account.recovery_saved", ["I have kept them", "Ich habe sie aufbewahrt", "Li ho conservati", "Já os guardei", "Я сохранил(а) их"]),
    ("account.stale", ["This page was out of date. Scan the new QR code below and try again.", "Diese Seite war veraltet. Scannen Sie den neuen QR-Code unten und versuchen Sie es erneut.", "Questa pagina era scaduta. Scansiona il nuovo codice QR qui sotto e riprova.", "Esta página estava desatualizada. Escaneie o novo QR code abaixo e tente de novo.", "Страница устарела. Отсканируйте новый QR-код ниже и попробуйте снова."]),
    ("account.title", ["Your account", "Ihr Konto", "Il tuo account", "Sua conta", "Ваша учётная запись"]),
    ("account.wrong_code", ["That code is not right. Check that the phone's clock is correct, then type the code the app shows now.", "Der Code stimmt nicht. Prüfen Sie, ob die Uhr des Telefons richtig geht, und geben Sie den Code ein, den die App jetzt zeigt.", "Il codice non è corretto. Controlla che l'orologio del telefono sia giusto, poi digita il codice che l'app mostra ora.", "O código não está certo. Verifique se o relógio do celular está correto e digite o código que o app mostra agora.", "Код неверен. Проверьте, что часы телефона идут правильно, и введите код, который приложение показывает сейчас."]),
    ("account.wrong_password", ["The password is wrong.", "Das Passwort ist falsch.", "La password è errata.", "A senha está incorreta.", "Неверный пароль."]),
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
    ("contact.from_addressbook", ["From the address book (read-only)", "Aus dem Adressbuch (schreibgeschützt)", "Dalla rubrica (sola lettura)", "Do catálogo de endereços (somente leitura)", "Из адресной книги (только чтение)"]),
    ("contact.from_crmsenior", ["From CRM Senior (read-only)", "Aus CRM Senior (schreibgeschützt)", "Da CRM Senior (sola lettura)", "Do CRM Senior (somente leitura)", "Из CRM Senior (только чтение)"]),
    ("contact.from_propstack", ["From Propstack (read-only)", "Aus Propstack (schreibgeschützt)", "Da Propstack (sola lettura)", "Do Propstack (somente leitura)", "Из Propstack (только чтение)"]),
    ("contact.history", ["Calls", "Anrufe", "Chiamate", "Chamadas", "Звонки"]),
    ("contact.import", ["Import", "Importieren", "Importa", "Importar", "Импорт"]),
    ("contact.new", ["New contact", "Neuer Kontakt", "Nuovo contatto", "Novo contato", "Новый контакт"]),
    ("contact.none", ["No contacts found.", "Keine Kontakte gefunden.", "Nessun contatto trovato.", "Nenhum contato encontrado.", "Контакты не найдены."]),
    ("contact.not_found", ["This contact does not exist.", "Diesen Kontakt gibt es nicht.", "Questo contatto non esiste.", "Este contato não existe.", "Такого контакта нет."]),
    ("contact.read_only", ["This contact is synced from its CRM or address book: change it there. ringbook keeps a read-only copy, which the next sync would overwrite.", "Dieser Kontakt wird aus seinem CRM oder Adressbuch synchronisiert: Ändern Sie ihn dort. ringbook hält eine schreibgeschützte Kopie, die der nächste Abgleich überschreiben würde.", "Questo contatto è sincronizzato dal suo CRM o dalla rubrica: modificalo lì. ringbook ne tiene una copia in sola lettura, che la prossima sincronizzazione sovrascriverebbe.", "Este contato é sincronizado do seu CRM ou catálogo de endereços: altere-o lá. O ringbook mantém uma cópia somente leitura, que a próxima sincronização sobrescreveria.", "Этот контакт синхронизируется из CRM или адресной книги: измените его там. ringbook хранит копию только для чтения, которую перезапишет следующая синхронизация."]),
    ("contact.search", ["Name, company or number", "Name, Firma oder Nummer", "Nome, azienda o numero", "Nome, empresa ou número", "Имя, компания или номер"]),
    ("csrf.text", ["This form was too old or did not come from this page. Go back, reload the page and try again; nothing was changed.", "Dieses Formular war zu alt oder kam nicht von dieser Seite. Gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es erneut; es wurde nichts geändert.", "Questo modulo era scaduto o non proveniva da questa pagina. Torna indietro, ricarica la pagina e riprova; non è stato cambiato nulla.", "Este formulário expirou ou não veio desta página. Volte, recarregue a página e tente de novo; nada foi alterado.", "Форма устарела или пришла не с этой страницы. Вернитесь, обновите страницу и попробуйте снова; ничего не изменено."]),
    ("csrf.title", ["The form was refused", "Formular abgelehnt", "Modulo rifiutato", "Formulário recusado", "Форма отклонена"]),
    ("dash.in_today", ["incoming today", "eingehend heute", "in arrivo oggi", "recebidas hoje", "входящих сегодня"]),
    ("dash.now", ["Ringing now", "Klingelt gerade", "Squilla ora", "Tocando agora", "Звонят сейчас"]),
    ("dash.open_missed", ["Open missed calls", "Offene verpasste Anrufe", "Chiamate perse aperte", "Chamadas perdidas em aberto", "Открытые пропущенные"]),
    ("dash.out_today", ["outgoing today", "ausgehend heute", "in uscita oggi", "feitas hoje", "исходящих сегодня"]),
    ("dash.today", ["Today's calls", "Heutige Anrufe", "Chiamate di oggi", "Chamadas de hoje", "Звонки за сегодня"]),
    ("desk.address", ["Address (IP or host name)", "Adresse (IP oder Hostname)", "Indirizzo (IP o nome host)", "Endereço (IP ou nome do host)", "Адрес (IP или имя хоста)"]),
    ("desk.bad_address", ["That is not a phone address. Write its IP address or host name, e.g. 192.168.1.50 or 192.168.1.50:8080.", "Das ist keine Telefonadresse. Geben Sie die IP-Adresse oder den Hostnamen ein, z. B. 192.168.1.50 oder 192.168.1.50:8080.", "Non è un indirizzo di telefono. Scrivi l'indirizzo IP o il nome host, ad es. 192.168.1.50 o 192.168.1.50:8080.", "Isso não é um endereço de telefone. Escreva o IP ou o nome do host, ex.: 192.168.1.50 ou 192.168.1.50:8080.", "Это не адрес телефона. Укажите IP-адрес или имя хоста, например 192.168.1.50 или 192.168.1.50:8080."]),
    ("desk.bad_credentials", ["The user name may have at most 64 characters and the password at most 128, without line breaks.", "Der Benutzername darf höchstens 64 Zeichen haben, das Passwort höchstens 128, ohne Zeilenumbrüche.", "Il nome utente può avere al massimo 64 caratteri e la password al massimo 128, senza a capo.", "O usuário pode ter no máximo 64 caracteres e a senha no máximo 128, sem quebras de linha.", "Имя пользователя — не более 64 символов, пароль — не более 128, без переводов строки."]),
    ("desk.bad_kind", ["Choose Snom, Yealink or no desk phone.", "Wählen Sie Snom, Yealink oder kein Tischtelefon.", "Scegli Snom, Yealink o nessun telefono.", "Escolha Snom, Yealink ou nenhum telefone.", "Выберите Snom, Yealink или «нет телефона»."]),
    ("desk.forget_password", ["Forget the password", "Passwort vergessen", "Dimentica la password", "Esquecer a senha", "Удалить пароль"]),
    ("desk.intro", ["The call buttons ring the user's own desk phone, found by the extension their employee holds. The phone's web password is stored so ringbook can send it to the phone, and is never shown again; leave the field empty to keep it. Without a desk phone, ringbook calls through Asterisk when an AMI connection is set up.", "Die Anruf-Schaltflächen lassen das eigene Tischtelefon des Benutzers klingeln, gefunden über die Nebenstelle seines Mitarbeiters. Das Web-Passwort des Telefons wird gespeichert, damit ringbook es dem Telefon senden kann, und nie wieder angezeigt; lassen Sie das Feld leer, um es zu behalten. Ohne Tischtelefon ruft ringbook über Asterisk an, wenn eine AMI-Verbindung eingerichtet ist.", "I pulsanti di chiamata fanno squillare il telefono da scrivania dell'utente, trovato tramite l'interno del suo dipendente. La password web del telefono viene salvata perché ringbook possa inviarla al telefono e non viene più mostrata; lascia il campo vuoto per mantenerla. Senza telefono, ringbook chiama tramite Asterisk se è configurata una connessione AMI.", "Os botões de chamada fazem tocar o telefone de mesa do próprio usuário, encontrado pelo ramal do seu funcionário. A senha web do telefone é guardada para o ringbook enviá-la ao telefone e nunca mais é exibida; deixe o campo vazio para mantê-la. Sem telefone de mesa, o ringbook liga pelo Asterisk quando há uma conexão AMI configurada.", "Кнопки звонка звонят на собственный настольный телефон пользователя — по внутреннему номеру его сотрудника. Веб-пароль телефона хранится, чтобы ringbook мог отправить его телефону, и больше не показывается; оставьте поле пустым, чтобы сохранить его. Без настольного телефона ringbook звонит через Asterisk, если настроено подключение AMI."]),
    ("desk.kind", ["Desk phone", "Tischtelefon", "Telefono da scrivania", "Telefone de mesa", "Настольный телефон"]),
    ("desk.none", ["No desk phone", "Kein Tischtelefon", "Nessun telefono", "Nenhum telefone", "Нет телефона"]),
    ("desk.password", ["Phone web password", "Web-Passwort des Telefons", "Password web del telefono", "Senha web do telefone", "Веб-пароль телефона"]),
    ("desk.password_set", ["(set; empty keeps it)", "(gesetzt; leer lässt es)", "(impostata; vuoto la mantiene)", "(definida; vazio mantém)", "(задан; пусто — оставить)"]),
    ("desk.saved", ["The desk phone is saved.", "Das Tischtelefon ist gespeichert.", "Il telefono è stato salvato.", "O telefone de mesa foi salvo.", "Настольный телефон сохранён."]),
    ("desk.title", ["Desk phones (click-to-call)", "Tischtelefone (Klick zum Anrufen)", "Telefoni da scrivania (clic per chiamare)", "Telefones de mesa (clique para ligar)", "Настольные телефоны (звонок по клику)"]),
    ("desk.unknown_extension", ["This extension does not exist.", "Diese Nebenstelle gibt es nicht.", "Questo interno non esiste.", "Este ramal não existe.", "Такого внутреннего номера нет."]),
    ("desk.user", ["Phone web user", "Web-Benutzer des Telefons", "Utente web del telefono", "Usuário web do telefone", "Веб-пользователь телефона"]),
    ("dial.ami_failed", ["The phone system did not place the call. Check the AMI settings and the click-to-call channel.", "Die Telefonanlage hat den Anruf nicht aufgebaut. Prüfen Sie die AMI-Einstellungen und den Kanal für Klick zum Anrufen.", "Il centralino non ha avviato la chiamata. Controlla le impostazioni AMI e il canale per il clic per chiamare.", "O PABX não fez a chamada. Verifique as configurações AMI e o canal do clique para ligar.", "АТС не начала звонок. Проверьте настройки AMI и канал для звонка по клику."]),
    ("dial.ami_refused", ["The phone system refused ringbook's AMI user name or secret. An administrator can check ami.user and ami.secret in the Settings.", "Die Telefonanlage hat den AMI-Benutzer oder das Passwort von ringbook abgelehnt. Ein Administrator kann ami.user und ami.secret in den Einstellungen prüfen.", "Il centralino ha rifiutato l'utente o la password AMI di ringbook. Un amministratore può controllare ami.user e ami.secret nelle Impostazioni.", "O PABX recusou o usuário ou a senha AMI do ringbook. Um administrador pode verificar ami.user e ami.secret nas Configurações.", "АТС отклонила имя пользователя или пароль AMI ringbook. Администратор может проверить ami.user и ami.secret в настройках."]),
    ("dial.ami_unreachable", ["The phone system could not be reached. An administrator can check its address and port (ami.host, ami.port) in the Settings.", "Die Telefonanlage war nicht erreichbar. Ein Administrator kann Adresse und Port (ami.host, ami.port) in den Einstellungen prüfen.", "Il centralino non è raggiungibile. Un amministratore può controllare indirizzo e porta (ami.host, ami.port) nelle Impostazioni.", "Não foi possível alcançar o PABX. Um administrador pode verificar o endereço e a porta (ami.host, ami.port) nas Configurações.", "АТС недоступна. Администратор может проверить её адрес и порт (ami.host, ami.port) в настройках."]),
    ("dial.back", ["Back", "Zurück", "Indietro", "Voltar", "Назад"]),
    ("dial.bad_number", ["This number can't be dialled.", "Diese Nummer kann nicht gewählt werden.", "Questo numero non può essere composto.", "Este número não pode ser discado.", "Этот номер нельзя набрать."]),
    ("dial.call", ["Call", "Anrufen", "Chiama", "Ligar", "Позвонить"]),
    ("dial.hint", ["Ring my desk phone and dial this number", "Mein Tischtelefon klingeln lassen und diese Nummer wählen", "Fai squillare il mio telefono e componi questo numero", "Tocar meu telefone de mesa e discar este número", "Позвонить на мой телефон и набрать этот номер"]),
    ("dial.no_answer", ["The phone did not answer. Is it switched on, and is its address right?", "Das Telefon hat nicht geantwortet. Ist es eingeschaltet und stimmt seine Adresse?", "Il telefono non ha risposto. È acceso e l'indirizzo è giusto?", "O telefone não respondeu. Ele está ligado e o endereço está certo?", "Телефон не ответил. Он включён и адрес указан верно?"]),
    ("dial.no_extension", ["Your employee has no extension at the moment, so ringbook doesn't know which phone to ring.", "Ihr Mitarbeiter hat gerade keine Nebenstelle, daher weiß ringbook nicht, welches Telefon klingeln soll.", "Il tuo dipendente non ha un interno al momento, quindi ringbook non sa quale telefono far squillare.", "Seu funcionário não tem ramal no momento, então o ringbook não sabe qual telefone tocar.", "У вашего сотрудника сейчас нет внутреннего номера, поэтому ringbook не знает, какой телефон вызвать."]),
    ("dial.no_phone", ["No desk phone is set up for your extension. An administrator can add it on the Operators page.", "Für Ihre Nebenstelle ist kein Tischtelefon eingerichtet. Ein Administrator kann es auf der Seite Mitarbeiter hinzufügen.", "Nessun telefono è configurato per il tuo interno. Un amministratore può aggiungerlo nella pagina Operatori.", "Nenhum telefone de mesa está configurado para o seu ramal. Um administrador pode adicioná-lo na página Operadores.", "Для вашего внутреннего номера не настроен телефон. Администратор может добавить его на странице «Сотрудники»."]),
    ("dial.not_linked", ["Your user is not linked to an employee, so ringbook doesn't know your phone. An administrator can link it on the Users page.", "Ihr Benutzer ist mit keinem Mitarbeiter verknüpft, daher kennt ringbook Ihr Telefon nicht. Ein Administrator kann das auf der Seite Benutzer einstellen.", "Il tuo utente non è collegato a un dipendente, quindi ringbook non conosce il tuo telefono. Un amministratore può collegarlo nella pagina Utenti.", "Seu usuário não está ligado a um funcionário, então o ringbook não conhece seu telefone. Um administrador pode ligá-lo na página Usuários.", "Ваш пользователь не связан с сотрудником, поэтому ringbook не знает ваш телефон. Администратор может связать их на странице «Пользователи»."]),
    ("dial.phone_error", ["The phone answered with an error and did not dial.", "Das Telefon hat mit einem Fehler geantwortet und nicht gewählt.", "Il telefono ha risposto con un errore e non ha composto il numero.", "O telefone respondeu com um erro e não discou.", "Телефон ответил ошибкой и не набрал номер."]),
    ("dial.rang", ["Your desk phone is ringing. Pick it up and it dials the number.", "Ihr Tischtelefon klingelt. Heben Sie ab, dann wählt es die Nummer.", "Il tuo telefono sta squillando. Alza la cornetta e comporrà il numero.", "Seu telefone de mesa está tocando. Atenda e ele discará o número.", "Ваш телефон звонит. Снимите трубку, и номер будет набран."]),
    ("dial.refused", ["The phone refused the user name or password. Check them on the Operators page.", "Das Telefon hat Benutzername oder Passwort abgelehnt. Prüfen Sie sie auf der Seite Mitarbeiter.", "Il telefono ha rifiutato nome utente o password. Controllali nella pagina Operatori.", "O telefone recusou o usuário ou a senha. Verifique-os na página Operadores.", "Телефон отклонил имя пользователя или пароль. Проверьте их на странице «Сотрудники»."]),
    ("dial.store", ["ringbook could not read its database. Try again in a moment.", "ringbook konnte seine Datenbank nicht lesen. Versuchen Sie es gleich noch einmal.", "ringbook non ha potuto leggere il database. Riprova tra un momento.", "O ringbook não conseguiu ler o banco de dados. Tente de novo em instantes.", "ringbook не смог прочитать базу данных. Попробуйте ещё раз чуть позже."]),
    ("dial.title", ["Click-to-call", "Klick zum Anrufen", "Clic per chiamare", "Clique para ligar", "Звонок по клику"]),
    ("dir.in", ["Incoming", "Eingehend", "In arrivo", "Recebida", "Входящий"]),
    ("dir.internal", ["Internal", "Intern", "Interna", "Interna", "Внутренний"]),
    ("dir.out", ["Outgoing", "Ausgehend", "In uscita", "Feita", "Исходящий"]),
    ("dir.unknown", ["Unknown", "Unbekannt", "Sconosciuta", "Desconhecida", "Неизвестно"]),
    ("disk.low", ["Only {mb} MB are left on the disk that holds ringbook's database. When it is full, calls are no longer journaled: free some space, or move ringbook to a larger disk or card.", "Auf dem Datenträger mit der Datenbank von ringbook sind nur noch {mb} MB frei. Ist er voll, werden keine Anrufe mehr aufgezeichnet: Geben Sie Platz frei oder ziehen Sie ringbook auf einen größeren Datenträger oder eine größere Karte um.", "Sul disco che contiene il database di ringbook restano solo {mb} MB. Quando è pieno, le chiamate non vengono più registrate: libera spazio o sposta ringbook su un disco o una scheda più grande.", "Restam apenas {mb} MB no disco que guarda o banco de dados do ringbook. Quando ele encher, as chamadas deixam de ser registradas: libere espaço ou mova o ringbook para um disco ou cartão maior.", "На диске с базой данных ringbook осталось всего {mb} МБ. Когда он заполнится, звонки перестанут записываться: освободите место или перенесите ringbook на диск или карту большего объёма."]),
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
    ("login.code_dropped", ["Too many wrong codes. Log in again with your password.", "Zu viele falsche Codes. Melden Sie sich erneut mit Ihrem Passwort an.", "Troppi codici errati. Accedi di nuovo con la password.", "Muitos códigos errados. Entre de novo com sua senha.", "Слишком много неверных кодов. Войдите снова с паролем."]),
    ("login.code_text", ["The six-digit code your authenticator app shows for ringbook", "Der sechsstellige Code, den Ihre Authenticator-App für ringbook zeigt", "Il codice a sei cifre che la tua app di autenticazione mostra per ringbook", "O código de seis dígitos que seu app autenticador mostra para o ringbook", "Шестизначный код, который приложение-аутентификатор показывает для ringbook"]),
    ("login.code_title", ["Code from your app", "Code aus Ihrer App", "Codice dalla tua app", "Código do seu app", "Код из приложения"]),
    ("login.code_wrong", ["That code is not right, or was used already. Type the code the app shows now.", "Der Code stimmt nicht oder wurde schon verwendet. Geben Sie den Code ein, den die App jetzt zeigt.", "Il codice non è corretto o è già stato usato. Digita il codice che l'app mostra ora.", "O código não está certo ou já foi usado. Digite o código que o app mostra agora.", "Код неверен или уже использован. Введите код, который приложение показывает сейчас."]),
    ("login.failed", ["The user name or password is wrong.", "Benutzername oder Passwort ist falsch.", "Nome utente o password errati.", "Usuário ou senha incorretos.", "Неверное имя пользователя или пароль."]),
    ("login.recovery_lost", ["Phone lost? Use a recovery code", "Telefon verloren? Wiederherstellungscode verwenden", "Telefono perso? Usa un codice di recupero", "Perdeu o celular? Use um código de recuperação", "Потеряли телефон? Используйте код восстановления"]),
    ("login.recovery_text", ["One of the recovery codes you kept when you turned two-factor authentication on", "Einer der Wiederherstellungscodes, die Sie beim Einschalten der Zwei-Faktor-Authentifizierung aufbewahrt haben", "Uno dei codici di recupero conservati quando hai attivato l'autenticazione a due fattori", "Um dos códigos de recuperação que você guardou ao ativar a autenticação de dois fatores", "Один из кодов восстановления, сохранённых при включении двухфакторной аутентификации"]),
    ("login.recovery_wrong", ["That recovery code is not one of yours, or was used already.", "Dieser Wiederherstellungscode gehört nicht zu Ihren oder wurde schon verwendet.", "Questo codice di recupero non è uno dei tuoi o è già stato usato.", "Este código de recuperação não é um dos seus ou já foi usado.", "Этот код восстановления не ваш или уже использован."]),
    ("login.start_again", ["Start again", "Neu beginnen", "Ricomincia", "Recomeçar", "Начать заново"]),
    ("login.submit", ["Log in", "Anmelden", "Accedi", "Entrar", "Войти"]),
    ("login.title", ["Log in", "Anmelden", "Accesso", "Entrar", "Вход"]),
    ("login.too_many", ["Too many failed attempts. Wait five minutes and try again.", "Zu viele Fehlversuche. Warten Sie fünf Minuten und versuchen Sie es erneut.", "Troppi tentativi falliti. Attendi cinque minuti e riprova.", "Muitas tentativas falharam. Aguarde cinco minutos e tente de novo.", "Слишком много неудачных попыток. Подождите пять минут."]),
    ("missed.assign", ["Assign", "Zuweisen", "Assegna", "Atribuir", "Назначить"]),
    ("missed.assigned_to", ["Assigned to", "Zugewiesen an", "Assegnata a", "Atribuída a", "Назначено"]),
    ("missed.by", ["Missed by", "Verpasst von", "Persa da", "Perdida por", "Пропустил"]),
    ("missed.mark_selected", ["Mark selected as handled", "Auswahl als erledigt markieren", "Segna i selezionati come gestiti", "Marcar selecionadas como tratadas", "Отметить выбранные как обработанные"]),
    ("missed.no_call", ["There is no such call.", "Diesen Anruf gibt es nicht.", "Questa chiamata non esiste.", "Esta chamada não existe.", "Такого звонка нет."]),
    ("missed.no_employee", ["There is no such employee; choose one from the list.", "Diesen Mitarbeiter gibt es nicht; wählen Sie einen aus der Liste.", "Questo dipendente non esiste; scegline uno dall'elenco.", "Este funcionário não existe; escolha um da lista.", "Такого сотрудника нет; выберите из списка."]),
    ("missed.nobody", ["Nobody", "Niemand", "Nessuno", "Ninguém", "Никому"]),
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
    ("outbox.attempts", ["Attempts", "Versuche", "Tentativi", "Tentativas", "Попытки"]),
    ("outbox.call", ["Call", "Anruf", "Chiamata", "Chamada", "Звонок"]),
    ("outbox.dead", ["Given up", "Aufgegeben", "Abbandonata", "Desistida", "Отброшено"]),
    ("outbox.no_retry", ["This delivery does not exist or was already delivered, so there is nothing to retry.", "Diese Zustellung gibt es nicht oder sie wurde schon zugestellt; es gibt nichts zu wiederholen.", "Questa consegna non esiste o è già stata consegnata: non c'è nulla da riprovare.", "Esta entrega não existe ou já foi entregue; não há o que tentar de novo.", "Такой доставки нет или она уже доставлена — повторять нечего."]),
    ("outbox.no_row", ["There is no such delivery.", "Diese Zustellung gibt es nicht.", "Questa consegna non esiste.", "Esta entrega não existe.", "Такой доставки нет."]),
    ("outbox.no_skip", ["This delivery is neither waiting nor given up, so there is nothing to skip.", "Diese Zustellung wartet weder noch wurde sie aufgegeben; es gibt nichts zu überspringen.", "Questa consegna non è né in attesa né abbandonata: non c'è nulla da saltare.", "Esta entrega não está na fila nem foi desistida; não há o que pular.", "Эта доставка не ждёт и не отброшена — пропускать нечего."]),
    ("outbox.none", ["Nothing is failing.", "Nichts schlägt fehl.", "Nessun errore.", "Nada está falhando.", "Ошибок нет."]),
    ("outbox.pending", ["Retrying", "Wird wiederholt", "In ripetizione", "Tentando de novo", "Повторяется"]),
    ("outbox.retry", ["Retry", "Erneut versuchen", "Riprova", "Tentar de novo", "Повторить"]),
    ("outbox.skip", ["Skip", "Überspringen", "Salta", "Pular", "Пропустить"]),
    ("outbox.step", ["Step", "Schritt", "Passo", "Etapa", "Шаг"]),
    ("outbox.title", ["Deliveries that need attention", "Zustellungen, die Aufmerksamkeit brauchen", "Consegne che richiedono attenzione", "Entregas que precisam de atenção", "Доставки, требующие внимания"]),
    ("password.fair", ["Acceptable. A few more characters or another word would make it stronger.", "Ausreichend. Ein paar Zeichen oder ein weiteres Wort mehr machen es stärker.", "Accettabile. Qualche carattere o una parola in più la renderebbero più robusta.", "Aceitável. Alguns caracteres ou mais uma palavra a tornariam mais forte.", "Допустимо. Ещё несколько символов или одно слово сделают его надёжнее."]),
    ("password.good", ["Good password.", "Gutes Passwort.", "Buona password.", "Boa senha.", "Хороший пароль."]),
    ("password.name", ["Too easy to guess: mostly the user name.", "Zu leicht zu erraten: größtenteils der Benutzername.", "Troppo facile da indovinare: è soprattutto il nome utente.", "Fácil demais de adivinhar: na maior parte, o nome de usuário.", "Слишком легко угадать: в основном имя пользователя."]),
    ("password.repeat", ["Too easy to guess: mostly a repeated part.", "Zu leicht zu erraten: größtenteils ein wiederholter Teil.", "Troppo facile da indovinare: è soprattutto una parte ripetuta.", "Fácil demais de adivinhar: na maior parte, uma parte repetida.", "Слишком легко угадать: в основном повторяющаяся часть."]),
    ("password.run", ["Too easy to guess: mostly a run like 1234 or qwertz.", "Zu leicht zu erraten: größtenteils eine Folge wie 1234 oder qwertz.", "Troppo facile da indovinare: è soprattutto una sequenza come 1234 o qwerty.", "Fácil demais de adivinhar: na maior parte, uma sequência como 1234 ou qwerty.", "Слишком легко угадать: в основном последовательность вроде 1234 или qwerty."]),
    ("password.strength", ["Password strength", "Passwortstärke", "Robustezza della password", "Força da senha", "Надёжность пароля"]),
    ("password.strong", ["Strong password.", "Starkes Passwort.", "Password robusta.", "Senha forte.", "Надёжный пароль."]),
    ("password.too_long", ["Too long: at most 128 characters.", "Zu lang: höchstens 128 Zeichen.", "Troppo lunga: al massimo 128 caratteri.", "Longa demais: no máximo 128 caracteres.", "Слишком длинный: не более 128 символов."]),
    ("password.too_short", ["Too short: at least 12 characters.", "Zu kurz: mindestens 12 Zeichen.", "Troppo corta: almeno 12 caratteri.", "Curta demais: pelo menos 12 caracteres.", "Слишком короткий: не менее 12 символов."]),
    ("password.word", ["Too easy to guess: mostly a common word.", "Zu leicht zu erraten: größtenteils ein gängiges Wort.", "Troppo facile da indovinare: è soprattutto una parola comune.", "Fácil demais de adivinhar: na maior parte, uma palavra comum.", "Слишком легко угадать: в основном распространённое слово."]),
    ("phone.fax", ["Fax", "Fax", "Fax", "Fax", "Факс"]),
    ("phone.home", ["Home", "Privat", "Casa", "Residencial", "Домашний"]),
    ("phone.mobile", ["Mobile", "Mobil", "Cellulare", "Celular", "Мобильный"]),
    ("phone.office", ["Office", "Büro", "Ufficio", "Comercial", "Рабочий"]),
    ("phone.other", ["Other", "Sonstige", "Altro", "Outro", "Другой"]),
    ("pop.close", ["Close", "Schließen", "Chiudi", "Fechar", "Закрыть"]),
    ("pop.open_call", ["Open the call", "Anruf öffnen", "Apri la chiamata", "Abrir a chamada", "Открыть звонок"]),
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
    ("settings.backup_mismatch", ["The two passphrases differ. Type the same one twice; nothing was downloaded.", "Die beiden Passphrasen sind verschieden. Geben Sie zweimal dieselbe ein; es wurde nichts heruntergeladen.", "Le due passphrase sono diverse. Scrivi la stessa due volte; non è stato scaricato nulla.", "As duas frases-senha são diferentes. Digite a mesma duas vezes; nada foi baixado.", "Парольные фразы не совпадают. Введите одну и ту же дважды; ничего не скачано."]),
    ("settings.backup_passphrase", ["Passphrase for this backup", "Passphrase für diese Sicherung", "Passphrase per questo backup", "Frase-senha para este backup", "Парольная фраза для этой копии"]),
    ("settings.backup_repeat", ["The passphrase again", "Passphrase wiederholen", "Ripeti la passphrase", "Repita a frase-senha", "Повторите парольную фразу"]),
    ("settings.backup_text", ["A consistent copy of the whole database, safe to take while calls come in. It is encrypted with the passphrase you choose here, because it holds the box's secrets (the CRM's token, the AMI secret, the HTTPS key, the second-factor keys). Keep the passphrase apart from the file: without it the backup can't be restored.", "Eine konsistente Kopie der ganzen Datenbank, auch während Anrufe eingehen. Sie wird mit der Passphrase verschlüsselt, die Sie hier wählen, denn sie enthält die Geheimnisse des Geräts (das Token des CRM, das AMI-Secret, den HTTPS-Schlüssel, die Schlüssel der Zwei-Faktor-Anmeldung). Bewahren Sie die Passphrase getrennt von der Datei auf: Ohne sie lässt sich die Sicherung nicht wiederherstellen.", "Una copia coerente dell'intero database, sicura anche mentre arrivano chiamate. È cifrata con la passphrase che scegli qui, perché contiene i segreti del dispositivo (il token del CRM, il segreto AMI, la chiave HTTPS, le chiavi del secondo fattore). Conserva la passphrase separata dal file: senza di essa il backup non si può ripristinare.", "Uma cópia consistente de todo o banco de dados, segura mesmo enquanto chegam chamadas. Ela é criptografada com a frase-senha que você escolhe aqui, pois contém os segredos do aparelho (o token do CRM, o segredo AMI, a chave HTTPS, as chaves do segundo fator). Guarde a frase-senha separada do arquivo: sem ela o backup não pode ser restaurado.", "Согласованная копия всей базы данных, её можно делать и во время звонков. Она шифруется парольной фразой, которую вы выбираете здесь, потому что содержит секреты устройства (токен CRM, секрет AMI, ключ HTTPS, ключи второго фактора). Храните фразу отдельно от файла: без неё копию нельзя восстановить."]),
    ("settings.cert_both", ["Choose both files: the certificate and its private key.", "Wählen Sie beide Dateien: das Zertifikat und seinen privaten Schlüssel.", "Scegli entrambi i file: il certificato e la sua chiave privata.", "Escolha os dois arquivos: o certificado e sua chave privada.", "Выберите оба файла: сертификат и его закрытый ключ."]),
    ("settings.cert_download", ["Download this box's certificate (to trust it on your computers)", "Zertifikat dieser Box herunterladen (um ihm auf Ihren Rechnern zu vertrauen)", "Scarica il certificato di questo box (per considerarlo attendibile sui tuoi computer)", "Baixar o certificado deste aparelho (para confiar nele nos seus computadores)", "Скачать сертификат этого устройства (чтобы доверять ему на компьютерах)"]),
    ("settings.cert_file", ["Certificate (PEM, intermediates after it)", "Zertifikat (PEM, Zwischenzertifikate dahinter)", "Certificato (PEM, intermedi dopo)", "Certificado (PEM, intermediários depois)", "Сертификат (PEM, промежуточные после него)"]),
    ("settings.cert_fingerprint", ["SHA-256 fingerprint", "SHA-256-Fingerabdruck", "Impronta SHA-256", "Impressão digital SHA-256", "Отпечаток SHA-256"]),
    ("settings.cert_new_self_signed", ["Make a new self-signed certificate", "Neues selbst signiertes Zertifikat erstellen", "Crea un nuovo certificato autofirmato", "Criar um novo certificado autoassinado", "Создать новый самоподписанный сертификат"]),
    ("settings.cert_none", ["HTTPS is off (setting web.https_port is 0), or starts with the next restart.", "HTTPS ist aus (Einstellung web.https_port ist 0) oder startet beim nächsten Neustart.", "HTTPS è spento (impostazione web.https_port a 0) o parte al prossimo riavvio.", "O HTTPS está desligado (configuração web.https_port é 0) ou começa no próximo reinício.", "HTTPS выключен (настройка web.https_port равна 0) или включится после перезапуска."]),
    ("settings.cert_saved", ["The certificate is in use from the next connection on.", "Das Zertifikat gilt ab der nächsten Verbindung.", "Il certificato è in uso dalla prossima connessione.", "O certificado vale a partir da próxima conexão.", "Сертификат используется со следующего подключения."]),
    ("settings.cert_self_signed", ["Self-signed certificate made by ringbook", "Von ringbook selbst signiertes Zertifikat", "Certificato autofirmato creato da ringbook", "Certificado autoassinado criado pelo ringbook", "Самоподписанный сертификат ringbook"]),
    ("settings.cert_upload", ["Check and use this certificate", "Prüfen und dieses Zertifikat verwenden", "Controlla e usa questo certificato", "Verificar e usar este certificado", "Проверить и использовать сертификат"]),
    ("settings.cert_uploaded", ["Uploaded certificate", "Hochgeladenes Zertifikat", "Certificato caricato", "Certificado enviado", "Загруженный сертификат"]),
    ("settings.https", ["HTTPS certificate", "HTTPS-Zertifikat", "Certificato HTTPS", "Certificado HTTPS", "Сертификат HTTPS"]),
    ("settings.https_text", ["Browsers show desktop notifications only over HTTPS. ringbook makes its own certificate; the browser asks once whether to trust it. You can upload a certificate of your own instead.", "Browser zeigen Desktop-Benachrichtigungen nur über HTTPS. ringbook erstellt ein eigenes Zertifikat; der Browser fragt einmal, ob er ihm vertrauen soll. Sie können stattdessen ein eigenes Zertifikat hochladen.", "I browser mostrano le notifiche desktop solo via HTTPS. ringbook crea un proprio certificato; il browser chiede una volta se fidarsi. Puoi invece caricare un tuo certificato.", "Os navegadores só mostram notificações na área de trabalho via HTTPS. O ringbook cria seu próprio certificado; o navegador pergunta uma vez se deve confiar nele. Você pode enviar um certificado próprio.", "Браузеры показывают уведомления на рабочем столе только по HTTPS. ringbook создаёт собственный сертификат; браузер один раз спросит, доверять ли ему. Можно загрузить свой сертификат."]),
    ("settings.key_file", ["Private key (PEM, without passphrase)", "Privater Schlüssel (PEM, ohne Passwort)", "Chiave privata (PEM, senza passphrase)", "Chave privada (PEM, sem senha)", "Закрытый ключ (PEM, без пароля)"]),
    ("settings.restore", ["Restore a backup", "Sicherung wiederherstellen", "Ripristina un backup", "Restaurar um backup", "Восстановить из копии"]),
    ("settings.restore_choose", ["Choose a backup file first.", "Wählen Sie zuerst eine Sicherungsdatei.", "Scegli prima un file di backup.", "Escolha primeiro um arquivo de backup.", "Сначала выберите файл копии."]),
    ("settings.restore_do", ["Check and restore", "Prüfen und wiederherstellen", "Controlla e ripristina", "Verificar e restaurar", "Проверить и восстановить"]),
    ("settings.restore_done", ["The backup was restored. If you are asked to, log in again with a user of the backup.", "Die Sicherung wurde wiederhergestellt. Melden Sie sich bei Aufforderung mit einem Benutzer der Sicherung neu an.", "Il backup è stato ripristinato. Se richiesto, accedi di nuovo con un utente del backup.", "O backup foi restaurado. Se for pedido, entre de novo com um usuário do backup.", "Копия восстановлена. Если потребуется, войдите снова под пользователем из копии."]),
    ("settings.restore_file", ["Backup file", "Sicherungsdatei", "File di backup", "Arquivo de backup", "Файл копии"]),
    ("settings.restore_need_passphrase", ["This backup is encrypted. Type the passphrase it was made with; nothing was changed.", "Diese Sicherung ist verschlüsselt. Geben Sie die Passphrase ein, mit der sie erstellt wurde; es wurde nichts geändert.", "Questo backup è cifrato. Scrivi la passphrase con cui è stato creato; non è stato cambiato nulla.", "Este backup está criptografado. Digite a frase-senha com que foi feito; nada foi alterado.", "Эта копия зашифрована. Введите парольную фразу, с которой она создана; ничего не изменено."]),
    ("settings.restore_passphrase", ["Passphrase (for an encrypted backup)", "Passphrase (bei einer verschlüsselten Sicherung)", "Passphrase (per un backup cifrato)", "Frase-senha (para um backup criptografado)", "Парольная фраза (для зашифрованной копии)"]),
    ("settings.restore_text", ["Upload a backup made here (Download a backup). It is checked completely first; a file that is not a sound ringbook backup changes nothing. Restoring replaces all data, users and logins included: afterwards log in with the users of the backup.", "Laden Sie eine hier erstellte Sicherung hoch (Sicherung herunterladen). Sie wird zuerst vollständig geprüft; eine Datei, die keine intakte ringbook-Sicherung ist, ändert nichts. Die Wiederherstellung ersetzt alle Daten samt Benutzern und Anmeldungen: melden Sie sich danach mit den Benutzern der Sicherung an.", "Carica un backup fatto qui (Scarica un backup). Viene prima controllato per intero; un file che non è un backup ringbook integro non cambia nulla. Il ripristino sostituisce tutti i dati, utenti e accessi compresi: dopo accedi con gli utenti del backup.", "Envie um backup feito aqui (Baixar um backup). Ele é verificado por completo antes; um arquivo que não seja um backup íntegro do ringbook não muda nada. A restauração substitui todos os dados, inclusive usuários e logins: depois entre com os usuários do backup.", "Загрузите копию, сделанную здесь («Скачать копию»). Сначала она полностью проверяется; файл, который не является исправной копией ringbook, ничего не меняет. Восстановление заменяет все данные, включая пользователей и входы: затем войдите под пользователями из копии."]),
    ("settings.restore_wrong_passphrase", ["The passphrase is wrong, or the file is not the backup it was made for. Nothing was changed.", "Die Passphrase ist falsch, oder die Datei ist nicht die Sicherung, für die sie gilt. Es wurde nichts geändert.", "La passphrase è errata, oppure il file non è il backup per cui è stata scelta. Non è stato cambiato nulla.", "A frase-senha está errada, ou o arquivo não é o backup para o qual foi escolhida. Nada foi alterado.", "Парольная фраза неверна, или файл — не та копия, для которой она задана. Ничего не изменено."]),
    ("settings.saved", ["Saved.", "Gespeichert.", "Salvato.", "Salvo.", "Сохранено."]),
    ("settings.secret_clear", ["Remove", "Entfernen", "Rimuovi", "Remover", "Удалить"]),
    ("settings.secret_set", ["(set; leave empty to keep)", "(gesetzt; leer lassen zum Behalten)", "(impostato; lascia vuoto per mantenerlo)", "(definido; deixe vazio para manter)", "(задан; оставьте пустым, чтобы сохранить)"]),
    ("settings.secret_unset", ["(not set)", "(nicht gesetzt)", "(non impostato)", "(não definido)", "(не задан)"]),
    ("setup.bad_code", ["That setup code is not right. It is printed in ringbook's log when it starts.", "Dieser Einrichtungscode stimmt nicht. Er steht beim Start im Log von ringbook.", "Il codice di configurazione non è corretto. È scritto nel log di ringbook all'avvio.", "O código de configuração não está certo. Ele aparece no log do ringbook ao iniciar.", "Неверный код настройки. Он выводится в журнал ringbook при запуске."]),
    ("setup.code", ["Setup code (from the log)", "Einrichtungscode (aus dem Log)", "Codice di configurazione (dal log)", "Código de configuração (do log)", "Код настройки (из журнала)"]),
    ("setup.create_admin", ["Create administrator", "Administrator anlegen", "Crea amministratore", "Criar administrador", "Создать администратора"]),
    ("setup.intro", ["Welcome. Type the setup code that ringbook printed in its log, and choose the administrator's name and password.", "Willkommen. Geben Sie den Einrichtungscode aus dem Log von ringbook ein und wählen Sie Name und Passwort des Administrators.", "Benvenuto. Inserisci il codice di configurazione che ringbook ha scritto nel log e scegli nome e password dell'amministratore.", "Bem-vindo. Digite o código de configuração que o ringbook escreveu no log e escolha o nome e a senha do administrador.", "Добро пожаловать. Введите код настройки из журнала ringbook и задайте имя и пароль администратора."]),
    ("setup.lines", ["Company numbers and lines", "Firmennummern und Leitungen", "Numeri e linee aziendali", "Números e linhas da empresa", "Номера и линии компании"]),
    ("setup.number_model", ["Phone numbers", "Telefonnummern", "Numeri di telefono", "Números de telefone", "Телефонные номера"]),
    ("setup.office_intro", ["Tell ringbook how numbers look in your office. You can change all of this later under Settings.", "Sagen Sie ringbook, wie Nummern in Ihrem Büro aussehen. Sie können alles später unter Einstellungen ändern.", "Indica a ringbook come sono i numeri nel tuo ufficio. Puoi cambiare tutto più tardi in Impostazioni.", "Diga ao ringbook como são os números do seu escritório. Você pode mudar tudo depois em Configurações.", "Укажите, как выглядят номера в вашем офисе. Всё можно изменить позже в настройках."]),
    ("setup.office_title", ["Your office", "Ihr Büro", "Il tuo ufficio", "Seu escritório", "Ваш офис"]),
    ("setup.password_hint", ["At least 12 characters. A few unrelated words make a strong password.", "Mindestens 12 Zeichen. Ein paar Wörter, die nichts miteinander zu tun haben, ergeben ein starkes Passwort.", "Almeno 12 caratteri. Alcune parole senza legame tra loro formano una password robusta.", "Pelo menos 12 caracteres. Algumas palavras sem relação entre si formam uma senha forte.", "Не менее 12 символов. Несколько не связанных между собой слов дают надёжный пароль."]),
    ("setup.time_language", ["Time zone and language", "Zeitzone und Sprache", "Fuso orario e lingua", "Fuso horário e idioma", "Часовой пояс и язык"]),
    ("setup.title", ["Set up ringbook", "ringbook einrichten", "Configura ringbook", "Configurar o ringbook", "Настройка ringbook"]),
    ("source.connected", ["Connected", "Verbunden", "Connesso", "Conectado", "Подключено"]),
    ("source.connecting", ["Connecting", "Verbindet", "Connessione", "Conectando", "Подключение"]),
    ("source.off", ["Off", "Aus", "Spento", "Desligado", "Выкл."]),
    ("source.waiting", ["Not reachable", "Nicht erreichbar", "Non raggiungibile", "Inacessível", "Недоступно"]),
    ("status.answered", ["Answered", "Angenommen", "Risposta", "Atendida", "Отвечен"]),
    ("status.busy", ["Busy", "Besetzt", "Occupato", "Ocupado", "Занято"]),
    ("status.connector", ["Connection", "Verbindung", "Collegamento", "Conexão", "Подключение"]),
    ("status.dead", ["Given up", "Aufgegeben", "Abbandonate", "Desistidas", "Отброшено"]),
    ("status.failed", ["Failed", "Fehlgeschlagen", "Fallita", "Falhou", "Ошибка"]),
    ("status.failing", ["Failing", "Fehlschlagend", "In errore", "Falhando", "С ошибками"]),
    ("status.last_delivered", ["Last delivered", "Zuletzt zugestellt", "Ultima consegna", "Última entrega", "Последняя доставка"]),
    ("status.last_error", ["Last error", "Letzter Fehler", "Ultimo errore", "Último erro", "Последняя ошибка"]),
    ("status.last_event", ["Last call event", "Letztes Anrufereignis", "Ultimo evento di chiamata", "Último evento de chamada", "Последнее событие"]),
    ("status.missed", ["Missed", "Verpasst", "Persa", "Perdida", "Пропущен"]),
    ("status.not_answered", ["Not answered", "Nicht angenommen", "Senza risposta", "Não atendida", "Без ответа"]),
    ("status.ok", ["OK", "OK", "OK", "OK", "ОК"]),
    ("status.queued", ["Queued", "Wartend", "In coda", "Na fila", "В очереди"]),
    ("status.retry_in", ["next try in", "nächster Versuch in", "prossimo tentativo tra", "próxima tentativa em", "следующая попытка через"]),
    ("status.ringing", ["Ringing", "Klingelt", "Squilla", "Tocando", "Звонит"]),
    ("status.source", ["Source", "Quelle", "Sorgente", "Origem", "Источник"]),
    ("status.sources", ["Phone systems", "Telefonanlagen", "Centralini", "Sistemas telefônicos", "Телефонные системы"]),
    ("status.sync", ["CRM sync", "CRM-Abgleich", "Sincronizzazione CRM", "Sincronização com CRM", "Синхронизация с CRM"]),
    ("status.target", ["Address", "Adresse", "Indirizzo", "Endereço", "Адрес"]),
    ("status.trouble", ["Problem", "Problem", "Problema", "Problema", "Проблема"]),
    ("task.add", ["Add task", "Aufgabe hinzufügen", "Aggiungi attività", "Adicionar tarefa", "Добавить задачу"]),
    ("task.assignee", ["Assignee", "Zuständig", "Assegnata a", "Responsável", "Исполнитель"]),
    ("task.due", ["Due", "Fällig", "Scadenza", "Prazo", "Срок"]),
    ("task.invalid", ["A task needs a title (at most 200 characters) and a valid date.", "Eine Aufgabe braucht einen Titel (höchstens 200 Zeichen) und ein gültiges Datum.", "Un'attività richiede un titolo (max 200 caratteri) e una data valida.", "Uma tarefa precisa de um título (até 200 caracteres) e uma data válida.", "Задаче нужно название (до 200 символов) и правильная дата."]),
    ("task.title", ["Task", "Aufgabe", "Attività", "Tarefa", "Задача"]),
    ("unit.d", ["d", "T.", "g", "d", "дн."]),
    ("unit.h", ["h", "Std.", "h", "h", "ч"]),
    ("unit.min", ["min", "Min.", "min", "min", "мин"]),
    ("users.2fa", ["Second factor", "Zweiter Faktor", "Secondo fattore", "Segundo fator", "Второй фактор"]),
    ("users.2fa_off", ["Off", "Aus", "Non attivo", "Desativado", "Выкл."]),
    ("users.2fa_on", ["On", "Ein", "Attivo", "Ativado", "Вкл."]),
    ("users.2fa_remove", ["Remove second factor", "Zweiten Faktor entfernen", "Rimuovi secondo fattore", "Remover segundo fator", "Удалить второй фактор"]),
    ("users.2fa_remove_confirm", ["Remove this user's second factor? They will log in with the password alone until they set up a new one.", "Den zweiten Faktor dieses Benutzers entfernen? Er meldet sich dann nur mit dem Passwort an, bis er einen neuen einrichtet.", "Rimuovere il secondo fattore di questo utente? Accederà con la sola password finché non ne configura uno nuovo.", "Remover o segundo fator deste usuário? Ele entrará só com a senha até configurar um novo.", "Удалить второй фактор этого пользователя? До настройки нового он будет входить только по паролю."]),
    ("users.2fa_removed", ["The second factor was removed.", "Der zweite Faktor wurde entfernt.", "Il secondo fattore è stato rimosso.", "O segundo fator foi removido.", "Второй фактор удалён."]),
    ("users.actions", ["Actions", "Aktionen", "Azioni", "Ações", "Действия"]),
    ("users.active", ["Active", "Aktiv", "Attivo", "Ativo", "Активен"]),
    ("users.bad_role", ["Choose the role Administrator or Staff.", "Wählen Sie die Rolle Administrator oder Mitarbeiter.", "Scegli il ruolo Amministratore o Personale.", "Escolha a função Administrador ou Equipe.", "Выберите роль: администратор или сотрудник."]),
    ("users.create", ["Add user", "Benutzer hinzufügen", "Aggiungi utente", "Adicionar usuário", "Добавить пользователя"]),
    ("users.created", ["The user was added.", "Der Benutzer wurde hinzugefügt.", "L'utente è stato aggiunto.", "O usuário foi adicionado.", "Пользователь добавлен."]),
    ("users.disable", ["Disable", "Deaktivieren", "Disattiva", "Desativar", "Отключить"]),
    ("users.disable_confirm", ["Disable this user? They are logged out at once.", "Diesen Benutzer deaktivieren? Er wird sofort abgemeldet.", "Disattivare questo utente? Verrà disconnesso subito.", "Desativar este usuário? Ele será desconectado na hora.", "Отключить этого пользователя? Он сразу выйдет из системы."]),
    ("users.disabled", ["Disabled", "Deaktiviert", "Disattivato", "Desativado", "Отключён"]),
    ("users.employee", ["Employee (for own calls)", "Mitarbeiter (für eigene Anrufe)", "Dipendente (per le proprie chiamate)", "Funcionário (para as próprias chamadas)", "Сотрудник (для своих звонков)"]),
    ("users.enable", ["Enable", "Aktivieren", "Attiva", "Ativar", "Включить"]),
    ("users.invalid_name", ["A user name must have 1 to 64 printable characters.", "Ein Benutzername muss 1 bis 64 druckbare Zeichen haben.", "Un nome utente deve avere da 1 a 64 caratteri stampabili.", "Um nome de usuário deve ter de 1 a 64 caracteres imprimíveis.", "Имя пользователя должно содержать от 1 до 64 печатных символов."]),
    ("users.last_admin", ["This is the last administrator. Make another user an administrator first, or nobody could manage ringbook.", "Das ist der letzte Administrator. Machen Sie zuerst einen anderen Benutzer zum Administrator, sonst könnte niemand ringbook verwalten.", "Questo è l'ultimo amministratore. Rendi prima amministratore un altro utente, altrimenti nessuno potrebbe gestire ringbook.", "Este é o último administrador. Torne outro usuário administrador antes, ou ninguém poderá gerenciar o ringbook.", "Это последний администратор. Сначала назначьте администратором другого пользователя, иначе никто не сможет управлять ringbook."]),
    ("users.manage", ["Manage users", "Benutzer verwalten", "Gestisci utenti", "Gerenciar usuários", "Управление пользователями"]),
    ("users.name_taken", ["A user with that name already exists.", "Einen Benutzer mit diesem Namen gibt es schon.", "Esiste già un utente con questo nome.", "Já existe um usuário com esse nome.", "Пользователь с таким именем уже есть."]),
    ("users.new_password", ["New password", "Neues Passwort", "Nuova password", "Nova senha", "Новый пароль"]),
    ("users.no_employee", ["There is no such employee.", "Diesen Mitarbeiter gibt es nicht.", "Questo dipendente non esiste.", "Este funcionário não existe.", "Такого сотрудника нет."]),
    ("users.no_such", ["There is no such user.", "Diesen Benutzer gibt es nicht.", "Questo utente non esiste.", "Este usuário não existe.", "Такого пользователя нет."]),
    ("users.password_breached", ["This password has been seen in known data breaches (Have I Been Pwned), so guessers try it early. Choose another one: a few unrelated words make a strong password.", "Dieses Passwort ist in bekannten Datenlecks aufgetaucht (Have I Been Pwned), deshalb probieren Angreifer es früh aus. Wählen Sie ein anderes: Ein paar Wörter, die nichts miteinander zu tun haben, ergeben ein starkes Passwort.", "Questa password compare in violazioni di dati note (Have I Been Pwned), quindi chi tenta di indovinarla la prova presto. Scegline un'altra: alcune parole senza legame tra loro formano una password robusta.", "Esta senha aparece em vazamentos de dados conhecidos (Have I Been Pwned), por isso quem tenta adivinhar a testa cedo. Escolha outra: algumas palavras sem relação entre si formam uma senha forte.", "Этот пароль встречается в известных утечках данных (Have I Been Pwned), поэтому его пробуют одним из первых. Выберите другой: несколько не связанных между собой слов дают надёжный пароль."]),
    ("users.password_guessable", ["This password is too easy to guess: most of it is a common word, the user name, a run like 1234 or qwertz, or a repeated part. A few unrelated words make a strong password.", "Dieses Passwort ist zu leicht zu erraten: Es besteht größtenteils aus einem gängigen Wort, dem Benutzernamen, einer Folge wie 1234 oder qwertz oder einer Wiederholung. Ein paar Wörter, die nichts miteinander zu tun haben, ergeben ein starkes Passwort.", "Questa password è troppo facile da indovinare: è fatta per lo più di una parola comune, del nome utente, di una sequenza come 1234 o qwerty o di una parte ripetuta. Alcune parole senza legame tra loro formano una password robusta.", "Esta senha é fácil demais de adivinhar: é feita sobretudo de uma palavra comum, do nome de usuário, de uma sequência como 1234 ou qwerty ou de uma parte repetida. Algumas palavras sem relação entre si formam uma senha forte.", "Этот пароль слишком легко угадать: он в основном состоит из распространённого слова, имени пользователя, последовательности вроде 1234 или qwerty либо повторяющейся части. Несколько не связанных между собой слов дают надёжный пароль."]),
    ("users.password_long", ["The password may have at most 128 characters.", "Das Passwort darf höchstens 128 Zeichen haben.", "La password può avere al massimo 128 caratteri.", "A senha pode ter no máximo 128 caracteres.", "Пароль может содержать не более 128 символов."]),
    ("users.password_set", ["The password was changed.", "Das Passwort wurde geändert.", "La password è stata cambiata.", "A senha foi alterada.", "Пароль изменён."]),
    ("users.password_short", ["The password must have at least 12 characters.", "Das Passwort muss mindestens 12 Zeichen haben.", "La password deve avere almeno 12 caratteri.", "A senha deve ter pelo menos 12 caracteres.", "Пароль должен содержать не менее 12 символов."]),
    ("users.reset", ["Set password", "Passwort setzen", "Imposta password", "Definir senha", "Задать пароль"]),
    ("users.role_admin", ["Administrator", "Administrator", "Amministratore", "Administrador", "Администратор"]),
    ("users.role_staff", ["Staff", "Mitarbeiter", "Personale", "Equipe", "Сотрудник"]),
    ("users.status", ["Status", "Status", "Stato", "Status", "Статус"]),
    ("users.store", ["ringbook could not save this. Try again in a moment.", "ringbook konnte das nicht speichern. Versuchen Sie es gleich noch einmal.", "ringbook non ha potuto salvare. Riprova tra un momento.", "O ringbook não conseguiu salvar. Tente de novo em instantes.", "ringbook не смог сохранить. Попробуйте ещё раз чуть позже."]),
    ("users.title", ["Users", "Benutzer", "Utenti", "Usuários", "Пользователи"]),
    ("users.yourself", ["You can't disable your own account.", "Sie können Ihr eigenes Konto nicht deaktivieren.", "Non puoi disattivare il tuo account.", "Você não pode desativar sua própria conta.", "Нельзя отключить собственную учётную запись."]),
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
            include_str!("dial.rs"),
            include_str!("users.rs"),
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

    /// The texts about the password's length can't format a number, so they spell out the limits.
    #[test]
    fn the_password_length_texts_state_the_limit_in_every_language() {
        let shortest = crate::password::MIN_LENGTH.to_string();
        let longest = crate::password::MAX_LENGTH.to_string();
        for (key, limit) in [
            ("setup.password_hint", &shortest),
            ("users.password_short", &shortest),
            ("users.password_long", &longest),
            ("password.too_short", &shortest),
            ("password.too_long", &longest),
        ] {
            for l in Lang::ALL {
                let s = l.t(key);
                assert!(s.contains(limit.as_str()), "{key} in {}: {s}", l.code());
            }
        }
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
